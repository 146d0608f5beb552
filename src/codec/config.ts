// The payload codec's configuration, read from the environment and validated once at start-up. Keys live in
// Vault Transit, reached with the same Vault settings as the secret backend (VAULT_ADDR, VAULT_TOKEN or AppRole).
import { z } from 'zod';
import { StewardError } from '../errors';
import { loadSecretsConfig } from '../secrets/config';
import type { VaultSessionOptions } from '../secrets/vault-session';
import { formatZodIssues } from '../common/zod-issues';

/** Compression is for staying far from Temporal's payload limits (a warning at 512 KiB, an error at 2 MiB), and it
 *  costs more CPU than the encryption: below half the warning level it is not worth it. */
export const DEFAULT_COMPRESS_ABOVE_BYTES = 256 * 1024;

/** The largest payload the codec seals or opens, counted serialized (before deflating, after inflating). Encode
 *  refuses a larger one, so everything it writes decodes again. Temporal stores at most 2 MiB per payload by
 *  default, so only a payload that deflates 16-fold comes near; it bounds what one sealed payload inflates to. */
export const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

/** What one codec-server request may carry in or decode to, all its payloads together: two of the largest
 *  payloads. Without it, many small sealed payloads that inflate well would make the shared server allocate
 *  gigabytes for one request. It must stay at least MAX_PAYLOAD_BYTES, or a stored payload could not be shown. */
export const MAX_REQUEST_PAYLOAD_BYTES = 2 * MAX_PAYLOAD_BYTES;

export const CodecEnv = z.object({
  /** The Vault Transit mount that holds one key-encryption key per tenant. */
  STEWARD_CODEC_TRANSIT_MOUNT: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'a Vault mount path').default('transit'),
  /** The Vault KV v2 mount that holds the PII vault's per-subject keys (under tenants/<tenant>/subject-keys/): kept
   *  apart from the secrets mount, so no definition can reference one. */
  STEWARD_PII_KEYS_MOUNT: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'a Vault mount path').default('pii-keys'),
  /** Each tenant's Transit key is named prefix + tenant id. */
  STEWARD_CODEC_TRANSIT_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and -').default('steward-codec-'),
  /** How long a process trusts its cached idea of the tenant's active key before asking Postgres again, in
   *  milliseconds: the delay until a `steward keys rotate` reaches running workers and clients. */
  STEWARD_CODEC_ACTIVE_KEY_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Payloads larger than this many bytes are compressed (raw deflate) before they are encrypted. */
  STEWARD_CODEC_COMPRESS_ABOVE_BYTES: z.coerce.number().int().min(0).max(64 * 1024 * 1024).default(DEFAULT_COMPRESS_ABOVE_BYTES),
  /** The path the codec server's routes live under (`/codec` serves `/codec/decode`), for a UI or a proxy that
   *  puts the codec endpoint under a path; empty serves them at the root. */
  STEWARD_CODEC_SERVER_PATH_PREFIX: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'empty, or a path such as /codec (no trailing slash)')
    .default(''),
});

export interface CodecConfig {
  vault: Pick<VaultSessionOptions, 'address' | 'auth' | 'timeoutMs' | 'namespace'>;
  transitMount: string;
  transitKeyPrefix: string;
  piiKeysMount: string;
  activeKeyTtlMs: number;
  compressAboveBytes: number;
  serverPathPrefix: string;
}

/** Validates the codec settings, failing fast with the variable's name (never its value). */
export function loadCodecConfig(env: NodeJS.ProcessEnv): CodecConfig {
  const parsed = CodecEnv.safeParse(env);
  if (!parsed.success) {
    throw new StewardError('CONFIG_INVALID', `invalid payload codec configuration: ${formatZodIssues(parsed.error)}`);
  }
  return { ...codecVault(env), ...readCodecSettings(parsed.data) };
}

/** The secret chain's own validation of the Vault settings, asked as if Vault were its only backend: the codec
 *  needs Vault whatever backends resolve secrets. */
function codecVault(env: NodeJS.ProcessEnv): Pick<CodecConfig, 'vault'> {
  try {
    const { vault } = loadSecretsConfig({ ...env, STEWARD_SECRET_BACKENDS: 'vault' });
    if (vault) return { vault };
  } catch (error) {
    const reason = error instanceof StewardError ? error.message : 'invalid Vault settings';
    throw new StewardError('CONFIG_INVALID', `the payload codec keeps tenant keys in Vault Transit: ${reason}`, { cause: error });
  }
  throw new StewardError('CONFIG_INVALID', 'the payload codec keeps tenant keys in Vault Transit: set VAULT_ADDR and VAULT_TOKEN');
}

function readCodecSettings(env: z.infer<typeof CodecEnv>): Omit<CodecConfig, 'vault'> {
  return {
    transitMount: env.STEWARD_CODEC_TRANSIT_MOUNT,
    transitKeyPrefix: env.STEWARD_CODEC_TRANSIT_KEY_PREFIX,
    piiKeysMount: env.STEWARD_PII_KEYS_MOUNT,
    activeKeyTtlMs: env.STEWARD_CODEC_ACTIVE_KEY_TTL_MS,
    compressAboveBytes: env.STEWARD_CODEC_COMPRESS_ABOVE_BYTES,
    serverPathPrefix: env.STEWARD_CODEC_SERVER_PATH_PREFIX,
  };
}
