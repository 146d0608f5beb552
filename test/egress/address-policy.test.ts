// The egress policy's judgement of addresses and URL spellings, from the attacker's side: every spelling of an
// internal address the attack used is refused, and only what a tenant allows gets through.
import { loadStewardEnv } from '../../src/config/env';
import { checkAddress, parseAllowList, type EgressPolicy } from '../../src/egress/address-policy';
import { validateDefinition } from '../../src/ir/validate';
import { createRawDefinition } from '../support/definitions';

const closed: EgressPolicy = { allow: [], protectedEndpoints: [] };

function urlIssues(url: string): string[] {
  const result = validateDefinition(createRawDefinition({ call: { type: 'tool', tool: 'http', request: { method: 'GET', url }, next: 'done' }, done: { type: 'end' } }));
  return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('when a definition names a tool URL', () => {
  it.each([
    ['file:///etc/passwd', "scheme 'file' is not allowed"],
    ['gopher://127.0.0.1:6379/_INFO', "scheme 'gopher' is not allowed"],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata addresses are never allowed'],
    ['http://[::ffff:169.254.169.254]/', 'IPv4-mapped IPv6 addresses are not allowed'],
    ['http://0x7f000001:8233/api/v1/namespaces', 'spells an IP address unusually'],
    ['http://2130706433/', 'spells an IP address unusually'],
    ['http://0177.0.0.1/', 'spells an IP address unusually'],
    ['http://0.0.0.0:8200/v1/sys/health', 'the unspecified address 0.0.0.0'],
    ['http://[::]:8233/', 'the unspecified address [::]'],
  ])('refuses %s at validation, naming the field', (url, reason) => {
    expect(urlIssues(url)).toEqual([expect.stringMatching(new RegExp(`^nodes\\.call\\.request\\.url: .*${reason.replace(/[[\]().]/g, '\\$&')}`))]);
  });

  it.each(['https://api.example.com/v1', 'http://127.0.0.1:4030/expenses', 'http://10.0.0.5/x', '{{ vars.base }}/x', 'https://{{ vars.host }}/x'])(
    'leaves %s to the run-time policy',
    (url) => {
      expect(urlIssues(url)).toEqual([]);
    },
  );
});

describe('when a tool call connects', () => {
  it.each([
    ['127.0.0.1', 8233, 'loopback'],
    ['::1', 8233, 'loopback'],
    ['::ffff:127.0.0.1', 8200, 'loopback'],
    ['::ffff:a9fe:a9fe', 80, 'cloud metadata'],
    ['64:ff9b::a9fe:a9fe', 80, 'cloud metadata'],
    ['169.254.169.254', 80, 'cloud metadata'],
    ['fd00:ec2::254', 80, 'cloud metadata'],
    ['169.254.1.1', 80, 'link-local'],
    ['10.1.2.3', 443, 'private'],
    ['172.16.0.1', 443, 'private'],
    ['192.168.1.1', 443, 'private'],
    ['100.64.0.1', 443, 'shared'],
    ['0.0.0.0', 8200, 'unspecified'],
    ['fe80::1', 80, 'link-local'],
    ['fc00::1', 80, 'private'],
  ])('refuses %s:%d without an allowance (%s)', (address, port, reason) => {
    const verdict = checkAddress(closed, address, port);
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining(reason) });
  });

  it('lets public addresses through', () => {
    expect(checkAddress(closed, '93.184.216.34', 443)).toEqual({ allowed: true });
    expect(checkAddress(closed, '2606:2800:220:1:248:1893:25c8:1946', 443)).toEqual({ allowed: true });
  });

  it('allows exactly what the tenant names: one host and port, or a network', () => {
    const policy: EgressPolicy = { allow: parseAllowList(['127.0.0.1:4030', '10.0.0.0/8']), protectedEndpoints: [] };
    expect(checkAddress(policy, '127.0.0.1', 4030)).toEqual({ allowed: true });
    expect(checkAddress(policy, '127.0.0.1', 4031).allowed).toBe(false);
    expect(checkAddress(policy, '::ffff:127.0.0.1', 4030)).toEqual({ allowed: true });
    expect(checkAddress(policy, '10.9.8.7', 22)).toEqual({ allowed: true });
    expect(checkAddress(policy, '192.168.0.1', 80).allowed).toBe(false);
  });

  it("keeps Steward's own services and metadata refused even when the tenant allows all of loopback", () => {
    const policy: EgressPolicy = {
      allow: parseAllowList(['127.0.0.0/8', '0.0.0.0/8', '169.254.0.0/16']),
      protectedEndpoints: [{ address: '127.0.0.1', port: 8233 }, { address: '127.0.0.1', port: 8200 }],
    };
    expect(checkAddress(policy, '127.0.0.1', 8233)).toEqual({ allowed: false, reason: expect.stringContaining('Steward deployment itself') });
    expect(checkAddress(policy, '127.0.0.2', 8200)).toEqual({ allowed: false, reason: expect.stringContaining('Steward deployment itself') });
    expect(checkAddress(policy, '0.0.0.0', 8233).allowed).toBe(false);
    expect(checkAddress(policy, '169.254.169.254', 80).allowed).toBe(false);
    expect(checkAddress(policy, '127.0.0.1', 4030)).toEqual({ allowed: true });
  });

  it('refuses allow entries it cannot read, naming them', () => {
    expect(parseAllowList(['localhost:80', '10.0.0.0/40', '127.0.0.1:4030'])).toEqual([expect.objectContaining({ text: '127.0.0.1:4030' })]);
  });
});

describe('the deployment-wide STEWARD_EGRESS_ALLOW', () => {
  it('is checked at start-up, naming the variable and the entry', () => {
    expect(() => loadStewardEnv({ STEWARD_EGRESS_ALLOW: '127.0.0.1:4030,localhost:80' })).toThrow(/STEWARD_EGRESS_ALLOW: 'localhost:80' is not an address or network/);
    expect(loadStewardEnv({ STEWARD_EGRESS_ALLOW: '127.0.0.1:4030,10.0.0.0/8' }).STEWARD_EGRESS_ALLOW).toBe('127.0.0.1:4030,10.0.0.0/8');
  });
});
