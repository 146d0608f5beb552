// `steward dev token mint|revoke`, run in-process against the in-process STS.
import { Command } from 'commander';
import { decodeJwt } from 'jose';
import { registerTokenCommands } from '../../dev-server/cli/token-commands';
import { UsageError } from '../../src/cli/errors';
import { useSts } from './sts-fixture';

const fixture = useSts();

async function steward(...args: string[]): Promise<string> {
  const program = new Command('steward').exitOverride();
  registerTokenCommands(program.command('dev'));
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'steward', 'dev', 'token', ...args]);
  } finally {
    write.mockRestore();
  }
  return out;
}

describe('steward dev token', () => {
  beforeAll(() => {
    process.env.STEWARD_STS_URL = fixture.sts.issuer;
  });
  afterAll(() => {
    delete process.env.STEWARD_STS_URL;
  });

  it('mints a JWT for a user with tenant, ttl, scopes and groups', async () => {
    const out = await steward('mint', '--user', 'bob', '--tenant', 'acme', '--ttl', '90s', '--scopes', 'expenses:read,approvals:decide', '--groups', 'a', 'b');
    const claims = decodeJwt(out.trim());
    expect(claims).toMatchObject({ sub: 'bob', tenant: 'acme', scope: 'expenses:read approvals:decide', groups: ['a', 'b'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(90);
  });

  it("mints a token without any scope with --scopes ''", async () => {
    expect(decodeJwt((await steward('mint', '--user', 'alice', '--scopes', '')).trim()).scope).toBeUndefined();
  });

  it('revokes a token', async () => {
    const token = (await steward('mint', '--user', 'alice')).trim();
    expect(await steward('revoke', token)).toBe('revoked\n');
    expect(await steward('revoke', token)).toMatch(/^not active/);
  });

  it('reports an unknown user and a bad ttl as bad input', async () => {
    await expect(steward('mint', '--user', 'mallory')).rejects.toBeInstanceOf(UsageError);
    await expect(steward('mint', '--user', 'alice', '--ttl', 'soon')).rejects.toBeInstanceOf(UsageError);
  });
});
