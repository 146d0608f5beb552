// `phone_regions` in a data policy: national numbers (no country code) are checked only against the regions it
// names, the wide default stays when it names none, a code without a numbering plan is refused naming the field,
// the PII codec applies a tenant's regions only when every one of its definitions narrows them (its own list, or the
// tenant's default for one that names none), and a tenant's default is checked region by region.
import { getCountries } from 'libphonenumber-js/max';
import { pathAtAnyDepth, unionOfPolicies } from '../../src/codec/pii-codec-policy';
import { hashDefinition } from '../../src/ir/hash';
import { parseDefinition } from '../../src/ir/parse';
import { applyDataPolicySync } from '../../src/pii/apply-data-policy';
import { PHONE_REGION_CODES } from '../../src/pii/phone-region-codes';
import { DataPolicy } from '../../src/pii/policy';
import { assertTenantPhoneRegions, withTenantPhoneRegions } from '../../src/tenancy/tenant-phone-regions';

const KEY = { hmacKey: new Uint8Array(32) };
const UK = 'call me on 020 7946 0958 tomorrow';
const FRANCE = 'appelez le 01 23 45 67 89';
const masked = (regions?: string[]) =>
  applyDataPolicySync({ uk: UK, france: FRANCE }, DataPolicy.parse(regions ? { phone_regions: regions } : {}), KEY) as { uk: string; france: string };
const DEFINITION = (policy: string) => `id: regions\nversion: 1\n${policy}start: done\nnodes:\n  done: { type: end }\n`;

test('a national number of a region outside a narrowed list is not detected; inside it is; the default finds both', () => {
  expect(masked()).toEqual({ uk: 'call me on *** **** 0958 tomorrow', france: 'appelez le ** ** ** 67 89' });
  expect(masked(['FR'])).toEqual({ uk: UK, france: 'appelez le ** ** ** 67 89' });
  expect(masked(['GB'])).toEqual({ uk: 'call me on *** **** 0958 tomorrow', france: FRANCE });
  // A number written with its country code is found whatever the list: the region is in the number.
  expect((applyDataPolicySync({ t: 'call +44 20 7946 0958' }, DataPolicy.parse({ phone_regions: ['FR'] }), KEY) as { t: string }).t).not.toContain('7946');
});

test('a bad region code is refused naming the field, in the policy and in a definition', () => {
  const policy = DataPolicy.safeParse({ phone_regions: ['GB', 'XX'] });
  expect(policy.success).toBe(false);
  expect(policy.error!.issues).toEqual([
    expect.objectContaining({ path: ['phone_regions', 1], message: '"XX" is not a region with a numbering plan (an ISO 3166 code in capitals, e.g. GB)' }),
  ]);
  expect(parseDefinition(DEFINITION('data_policy: { phone_regions: [GB, uk] }\n'))).toMatchObject({
    ok: false,
    issues: [{ path: 'data_policy.phone_regions[1]', message: '"uk" is not a region with a numbering plan (an ISO 3166 code in capitals, e.g. GB)' }],
  });
  expect(parseDefinition(DEFINITION('data_policy: { phone_regions: [] }\n'))).toMatchObject({ ok: false, issues: [{ path: 'data_policy.phone_regions' }] });
});

test('a definition without phone_regions keeps its content hash (the field has no default)', () => {
  const without = parseDefinition(DEFINITION(''));
  const narrowed = parseDefinition(DEFINITION('data_policy: { phone_regions: [GB] }\n'));
  if (!without.ok || !narrowed.ok) throw new Error('the definitions should parse');
  expect(without.definition.data_policy).not.toHaveProperty('phone_regions');
  expect(narrowed.definition.data_policy.phone_regions).toEqual(['GB']);
  expect(hashDefinition(without.definition)).not.toBe(hashDefinition(narrowed.definition));
});

test('the region list the policy checks is libphonenumber’s own', () => {
  expect([...PHONE_REGION_CODES].sort()).toEqual([...getCountries()].sort());
});

test("the codec applies a tenant's regions only when all its definitions narrow them, and pii_fields at any depth", () => {
  const gb = DataPolicy.parse({ phone_regions: ['GB'], pii_fields: ['$.applicant', '$'] });
  const fr = DataPolicy.parse({ phone_regions: ['FR'], pii_fields: ["$['name']", '$..email'] });
  expect(unionOfPolicies([gb, fr])).toEqual({ fieldPaths: ['$..applicant', "$..['name']", '$..email'], customDetectors: [], phoneRegions: ['FR', 'GB'] });
  expect(unionOfPolicies([gb, DataPolicy.parse({})]).phoneRegions).toBeUndefined();
  expect(unionOfPolicies([]).phoneRegions).toBeUndefined();
  expect(pathAtAnyDepth('$')).toBeUndefined();
});

test("a definition that names no regions takes the tenant's default, in the codec's union and in a run's policy", () => {
  const gb = DataPolicy.parse({ phone_regions: ['GB'] });
  const none = DataPolicy.parse({});
  expect(unionOfPolicies([gb, none], ['FR']).phoneRegions).toEqual(['FR', 'GB']);
  expect(unionOfPolicies([], ['FR']).phoneRegions).toEqual(['FR']);
  expect(unionOfPolicies([gb, none]).phoneRegions).toBeUndefined();
  expect(withTenantPhoneRegions(none, ['FR']).phone_regions).toEqual(['FR']);
  expect(withTenantPhoneRegions(gb, ['FR']).phone_regions).toEqual(['GB']);
  expect(withTenantPhoneRegions(none, undefined)).toBe(none);
  const france = applyDataPolicySync({ uk: UK, france: FRANCE }, withTenantPhoneRegions(none, ['FR']), KEY);
  expect(france).toEqual({ uk: UK, france: 'appelez le ** ** ** 67 89' });
});

test("a tenant's default with a bad region is refused naming the region and its place", () => {
  expect(assertTenantPhoneRegions(['GB', 'IE'])).toEqual(['GB', 'IE']);
  expect(() => assertTenantPhoneRegions(['GB', 'gb'])).toThrow('pii.phone_regions[1]: "gb" is not a region with a numbering plan (an ISO 3166 code in capitals, e.g. GB)');
  expect(() => assertTenantPhoneRegions([])).toThrow('pii.phone_regions: name at least one region');
});
