// Where the PII vault's hashing keys come from: STEWARD_PII_MASTER_KEY when set; on the local stack only, a key
// created once in the state folder (like the STS's signing keys), so every process of the stack hashes alike.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeConfig } from '../../config/runtime';
import { readStackFile } from '../../config/stack-file';
import { StewardError } from '../../errors';
import { derivePiiHmacKey, parseMasterKey } from '../../tenancy/pii-keys';
import type { TenantId } from '../../tenancy/tenant-id';

export const LOCAL_MASTER_KEY_FILE = 'pii-master.key';

/** The master key: from the environment, else the local stack's key file (created on first use). */
export function loadPiiMasterKey(config: Pick<RuntimeConfig, 'env'>): Uint8Array {
  const configured = config.env.STEWARD_PII_MASTER_KEY;
  if (configured !== undefined) return parseMasterKey(configured);
  const stateDir = config.env.STEWARD_STATE_DIR;
  if (!readStackFile(stateDir)) {
    throw new StewardError('CONFIG_INVALID', 'STEWARD_PII_MASTER_KEY: required to tokenize PII outside the local stack (hex:… or base64:…, 32 bytes or more)');
  }
  return parseMasterKey(readOrCreateKeyFile(join(stateDir, LOCAL_MASTER_KEY_FILE)), LOCAL_MASTER_KEY_FILE);
}

/** The tenant's key for the vault's HMACs, derived from the master key. */
export function loadTenantPiiHmacKey(config: Pick<RuntimeConfig, 'env'>, tenant: TenantId): Uint8Array {
  return derivePiiHmacKey(loadPiiMasterKey(config), tenant);
}

// Several processes of the stack may start at once: the key is written to a private temporary file and linked
// into place, which fails when another process got there first, so all of them end up reading the same key.
function readOrCreateKeyFile(path: string): string {
  if (!existsSync(path)) {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, `hex:${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  return readFileSync(path, 'utf8').trim();
}
