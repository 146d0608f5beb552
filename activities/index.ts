// Activities: everything non-deterministic a run does. Built per tenant by a factory, so an activity can
// only ever touch the data of the namespace whose worker runs it.
import type { Pool } from 'pg';
import type { TenantId } from '../src/tenancy/tenant-id';
import { createPrepareRun } from './prepare-run';

export interface ActivityDeps {
  pool: Pool;
  tenant: TenantId;
}

export function createActivities(deps: ActivityDeps) {
  return {
    prepareRun: createPrepareRun(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
