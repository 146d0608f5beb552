// Signs audit checkpoints with the tenant's ed25519 key in Vault Transit: the private key never leaves Vault, and
// the public key (Transit exports it with the key's metadata) lets anyone verify a checkpoint offline.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { StewardError } from '../errors';
import type { TenantId } from '../tenancy/tenant-id';
import { createVaultSession, describeVaultFailure, type VaultSessionOptions } from '../secrets/vault-session';

export const AUDIT_KEY_PREFIX = 'steward-audit-';

export interface CheckpointSigner {
  sign(tenant: TenantId, message: Buffer): Promise<{ keyVersion: number; signature: string }>;
  /** The tenant's public keys by Transit key version. */
  publicKeys(tenant: TenantId): Promise<Map<number, KeyObject>>;
  close(): void;
}

const SignAnswer = z.object({ data: z.object({ signature: z.string().regex(/^vault:v\d+:/), key_version: z.number().int().positive().optional() }) });
const KeyAnswer = z.object({ data: z.object({ type: z.literal('ed25519'), keys: z.record(z.string(), z.object({ public_key: z.base64() })) }) });

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function createCheckpointSigner(options: { vault: Pick<VaultSessionOptions, 'address' | 'auth' | 'timeoutMs' | 'namespace'>; mount: string }): CheckpointSigner {
  const session = createVaultSession(options.vault);
  const address = options.vault.address;
  const keyName = (tenant: TenantId) => `${AUDIT_KEY_PREFIX}${tenant}`;
  const ensured = new Set<TenantId>();

  /** Errors are rebuilt from the status alone: the HTTP library's carry the token. */
  const call = async (operation: string, work: (client: Awaited<ReturnType<typeof session.authorizedClient>>) => Promise<unknown>) => {
    const client = await session.authorizedClient();
    try {
      return await work(client);
    } catch (error) {
      throw describeVaultFailure(error, `transit ${operation}`, address);
    }
  };

  const ensureKey = async (tenant: TenantId) => {
    if (ensured.has(tenant)) return;
    // Creating an existing key is a no-op in Vault; a key of another type is caught when its public key is read.
    await call('audit key creation', (client) => client.write(`${options.mount}/keys/${keyName(tenant)}`, { type: 'ed25519', exportable: false }));
    ensured.add(tenant);
  };

  return {
    async sign(tenant, message) {
      await ensureKey(tenant);
      const answer = SignAnswer.safeParse(
        await call('audit checkpoint signing', (client) => client.write(`${options.mount}/sign/${keyName(tenant)}`, { input: message.toString('base64') })),
      );
      if (!answer.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} sent a malformed Transit signature answer`);
      const signature = answer.data.data.signature;
      return { keyVersion: Number(/^vault:v(\d+):/.exec(signature)?.[1]), signature };
    },
    async publicKeys(tenant) {
      await ensureKey(tenant);
      const answer = KeyAnswer.safeParse(await call('audit key lookup', (client) => client.read(`${options.mount}/keys/${keyName(tenant)}`)));
      if (!answer.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} has no ed25519 Transit key ${keyName(tenant)}`);
      return new Map(Object.entries(answer.data.data.keys).map(([version, key]) => [Number(version), publicKeyFromRaw(Buffer.from(key.public_key, 'base64'))]));
    },
    close() {
      session.close();
    },
  };
}
