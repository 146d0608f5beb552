// The STS's key material: its token-signing keys and the demo private_key_jwt agent's key pair.
// Kept in a file when asked (so tokens survive a restart of the STS), else made fresh for each start.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';

export interface StsKeys {
  /** Private signing JWKs, ES256 first: it signs access tokens. */
  signing: JWK[];
  /** The private JWK of the demo `private_key_jwt` agent; its public half is registered with the client. */
  agent: JWK;
}

const PrivateJwk = z.looseObject({ kty: z.string(), d: z.string(), kid: z.string(), alg: z.string() });
const StoredKeys = z.object({ signing: z.array(PrivateJwk).min(1), agent: PrivateJwk });

export async function loadOrCreateKeys(keysFile?: string): Promise<StsKeys> {
  if (keysFile && existsSync(keysFile)) {
    const parsed = StoredKeys.safeParse(JSON.parse(readFileSync(keysFile, 'utf8')));
    if (parsed.success) return parsed.data as StsKeys;
    throw new Error(`${keysFile} does not hold STS keys; delete it to have new ones made`);
  }
  const keys: StsKeys = {
    signing: [await createPrivateJwk('ES256'), await createPrivateJwk('RS256')],
    agent: await createPrivateJwk('ES256'),
  };
  if (keysFile) {
    mkdirSync(dirname(keysFile), { recursive: true });
    writeFileSync(keysFile, JSON.stringify(keys), { mode: 0o600 });
    chmodSync(keysFile, 0o600);
  }
  return keys;
}

export function toPublicJwk(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
  return publicPart;
}

async function createPrivateJwk(alg: 'ES256' | 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}
