import { parseSecretReference, SecretReferenceText } from '../../src/ir/secret-reference';

describe('parseSecretReference', () => {
  it.each([
    ['vault:secret/data/tenants/acme/llm#openai', { backend: 'vault', mount: 'secret', path: 'data/tenants/acme/llm', key: 'openai' }],
    ['vault:kv/app#api_key@3', { backend: 'vault', mount: 'kv', path: 'app', key: 'api_key', version: 3 }],
    ['vault:~/llm#openai', { backend: 'vault', mount: '~', path: 'llm', key: 'openai' }],
    ['vault:~/team/agents#expense@2', { backend: 'vault', mount: '~', path: 'team/agents', key: 'expense', version: 2 }],
    ['env:ACME_TOKEN', { backend: 'env', name: 'ACME_TOKEN' }],
    ['file:erp.json#token', { backend: 'file', name: 'erp.json', key: 'token' }],
    ['aws:federation#token', { backend: 'aws', name: 'federation', key: 'token' }],
    ['aws:team/erp', { backend: 'aws', name: 'team/erp' }],
  ])('parses %s', (text, expected) => {
    expect(parseSecretReference(text)).toEqual(expected);
  });

  it.each([
    ['', /starts with vault:, env:, file: or aws:/],
    ['gcp:thing', /starts with vault:, env:, file: or aws:/],
    ['aws:../acme/federation#token', /aws secret name segment/],
    ['aws:a#b#c', /aws:<name>\[#<key>\]/],
    ['vault:secret#key', /mount and a path/],
    ['vault:secret/path', /needs #<key>/],
    ['vault:secret/path#', /key must be/],
    ['vault:secret/path#key@0', /positive integer/],
    ['vault:secret/path#key@latest', /positive integer/],
    ['vault:secret/../other#key', /no empty, '.' or '..' segments/],
    ['vault:secret//x#key', /no empty/],
    ['vault:~#key', /mount and a path/],
    ['vault:~/../acme/llm#openai', /no empty, '.' or '..' segments/],
    ['vault:~/~/llm#openai', /each vault mount and path segment/],
    ['env:1BAD', /env:<NAME>/],
    ['env:', /env:<NAME>/],
    ['file:../../etc/passwd', /file reference is file:<name>#<key>|file name/],
    ['file:../../etc/passwd#root', /file name/],
    ['file:a#b#c', /file:<name>#<key>/],
  ])('rejects %j', (text, message) => {
    expect(() => parseSecretReference(text)).toThrow(message);
  });

  it('rejects absurdly long references', () => {
    expect(() => parseSecretReference(`env:${'A'.repeat(600)}`)).toThrow(/at most/);
  });

  it('backs a zod schema whose issues say what is wrong', () => {
    expect(SecretReferenceText.safeParse('env:OK').success).toBe(true);
    const result = SecretReferenceText.safeParse('vault:nope');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/vault/);
  });
});
