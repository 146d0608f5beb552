// Row-level security is the second wall between tenants only if the application's role cannot step over it: a
// superuser or a BYPASSRLS role reads every tenant's rows whatever app.tenant_id says. Every process that serves
// tenants checks its role once, before it serves anything, and refuses to start with such a role.
import type { Pool } from 'pg';
import { StewardError } from '../errors';
import { createPool } from './pool';

interface RoleRow {
  role: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
}

/** Throws CONFIG_INVALID naming the role and the attribute when the connected role can bypass row-level security. */
export async function assertAppRoleCannotBypassRls(pool: Pool): Promise<void> {
  const { rows } = await pool.query<RoleRow>(
    'SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  const row = rows[0];
  if (!row) throw new StewardError('CONFIG_INVALID', 'the application database role was not found in pg_roles');
  const attributes = [...(row.rolsuper ? ['SUPERUSER'] : []), ...(row.rolbypassrls ? ['BYPASSRLS'] : [])];
  if (attributes.length > 0) {
    throw new StewardError(
      'CONFIG_INVALID',
      `the application database role ${row.role} has ${attributes.join(' and ')}, which bypasses row-level security between tenants: ` +
        'connect with a role that has neither (STEWARD_APP_DATABASE_URL; the migrations create steward_app)',
    );
  }
}

/** The application's pool (STEWARD_APP_DATABASE_URL), once its role is known not to bypass row-level security. */
export async function openAppPool(databaseUrl: string, options: { max?: number } = {}): Promise<Pool> {
  const pool = createPool(databaseUrl, options);
  try {
    await assertAppRoleCannotBypassRls(pool);
    return pool;
  } catch (error) {
    await pool.end();
    throw error;
  }
}
