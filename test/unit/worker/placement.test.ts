// Rendezvous placement: every replica computes the same owner for each tenant, shares are disjoint and cover every
// tenant, and a replica joining or leaving moves only the tenants it takes or gives up.
import { shareOf, type LiveReplica } from '../../../src/worker/placement';
import type { TenantId } from '../../../src/tenancy/tenant-id';

const tenants = Array.from({ length: 500 }, (_, i) => `tenant-${i}` as TenantId);
const replicas = (...ids: string[]): LiveReplica[] => ids.map((id) => ({ id }));
const shares = (live: LiveReplica[]) => new Map(live.filter((r) => !r.pinned).map((r) => [r.id, shareOf(r.id, tenants, live)]));

test('shares are disjoint, cover every tenant, and are roughly even', () => {
  const split = shares(replicas('host-a/1', 'host-a/2', 'host-b/1', 'host-c/7'));
  const all = [...split.values()].flat();
  expect(new Set(all).size).toBe(all.length);
  expect(all.sort()).toEqual([...tenants].sort());
  for (const share of split.values()) expect(share.length).toBeGreaterThan(125 * 0.7);
});

test('a replica that joins takes tenants only for itself; the others keep the rest of theirs', () => {
  const before = shares(replicas('a', 'b', 'c'));
  const after = shares(replicas('a', 'b', 'c', 'd'));
  for (const id of ['a', 'b', 'c']) {
    const kept = after.get(id)!;
    expect(kept.every((tenant) => before.get(id)!.includes(tenant))).toBe(true);
  }
  const moved = after.get('d')!;
  expect(moved.length).toBeGreaterThan(0);
  expect(moved.length).toBeLessThan(tenants.length / 2);
});

test('a replica that leaves hands on only its own tenants', () => {
  const before = shares(replicas('a', 'b', 'c'));
  const after = shares(replicas('a', 'c'));
  for (const id of ['a', 'c']) expect(before.get(id)!.every((tenant) => after.get(id)!.includes(tenant))).toBe(true);
  expect([...after.values()].flat().sort()).toEqual([...tenants].sort());
});

test('a replica counts itself live before its own heartbeat is listed', () => {
  expect(shareOf('new', tenants, [])).toEqual(tenants);
  expect(shareOf('new', tenants, replicas('a'))).toEqual(shares(replicas('a', 'new')).get('new'));
});

test('tenants pinned by a live dedicated replica are in no sharing replica\'s share', () => {
  const pinned = ['tenant-3', 'tenant-42'] as TenantId[];
  const live = [...replicas('a', 'b'), { id: 'dedicated', pinned }];
  const shared = [...shares(live).values()].flat();
  expect(shared).not.toContain('tenant-3');
  expect(shared).not.toContain('tenant-42');
  expect(shared).toHaveLength(tenants.length - 2);
});
