// Tenant ids reach SQL, namespaces and paths: anything but a short lowercase slug is refused up front.
import { assertTenantId } from '../../src/tenancy/tenant-id';

test.each(['acme', 'globex', 'acme-eu-1', 'a1'])('%s is a valid tenant id', (id) => {
  expect(assertTenantId(id)).toBe(id);
});

test.each([
  ["acme'; drop table x; --", 'lowercase slug'],
  ['../acme', 'lowercase slug'],
  ['ACME', 'lowercase slug'],
  ['', 'at least 2 characters'],
  ['a'.repeat(300), 'at most 40 characters'],
  ['acme--corp', 'lowercase slug'],
  ['-acme', 'lowercase slug'],
])('%j is refused with a clear reason', (id, reason) => {
  expect(() => assertTenantId(id)).toThrow(expect.objectContaining({ code: 'TENANT_INVALID', message: expect.stringContaining(reason) }));
});

test('a non-string tenant id is refused without echoing it', () => {
  expect(() => assertTenantId({ id: 'acme' })).toThrow('invalid tenant id object');
});
