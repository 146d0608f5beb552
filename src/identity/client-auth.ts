// How an agent authenticates to a token, introspection or revocation endpoint (RFC 6749 §2.3, RFC 7523 private_key_jwt).
import { randomUUID } from 'node:crypto';
import { importJWK, importPKCS8, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';

export interface ClientSecretAuth {
  clientId: string;
  clientSecret: string;
  /** `client_secret_basic` (the default every server must support) or `client_secret_post`. */
  method?: 'client_secret_basic' | 'client_secret_post';
}

export interface PrivateKeyJwtAuth {
  clientId: string;
  /** A private JWK (object or JSON text), a PKCS#8 PEM, or an imported key. */
  privateKey: JWK | string | CryptoKey | KeyObject;
  /** The signing algorithm; defaults to the JWK's `alg`, else ES256. */
  algorithm?: string;
  keyId?: string;
  /** The assertion's `aud`; defaults to the endpoint being called. */
  assertionAudience?: string;
}

export type ClientAuth = ClientSecretAuth | PrivateKeyJwtAuth;

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_LIFETIME_SECONDS = 60;

/** Adds the client's credentials to a form request for `endpoint`, as headers or body parameters. */
export async function applyClientAuth(auth: ClientAuth, endpoint: string, body: URLSearchParams, headers: Headers): Promise<void> {
  if ('clientSecret' in auth) {
    if (auth.method === 'client_secret_post') {
      body.set('client_id', auth.clientId);
      body.set('client_secret', auth.clientSecret);
    } else {
      // RFC 6749 §2.3.1: both halves are form-encoded before they are joined and base64-encoded.
      const pair = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`;
      headers.set('authorization', `Basic ${Buffer.from(pair).toString('base64')}`);
    }
    return;
  }
  body.set('client_id', auth.clientId);
  body.set('client_assertion_type', ASSERTION_TYPE);
  body.set('client_assertion', await createClientAssertion(auth, endpoint));
}

async function createClientAssertion(auth: PrivateKeyJwtAuth, endpoint: string): Promise<string> {
  const { key, alg, kid } = await importSigningKey(auth);
  return new SignJWT({})
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setIssuer(auth.clientId)
    .setSubject(auth.clientId)
    .setAudience(auth.assertionAudience ?? endpoint)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ASSERTION_LIFETIME_SECONDS}s`)
    .sign(key);
}

async function importSigningKey(auth: PrivateKeyJwtAuth): Promise<{ key: CryptoKey | KeyObject | Uint8Array; alg: string; kid?: string }> {
  const { privateKey } = auth;
  if (typeof privateKey === 'string' && privateKey.includes('-----BEGIN')) {
    const alg = auth.algorithm ?? 'ES256';
    return { key: await importPKCS8(privateKey, alg), alg, ...(auth.keyId ? { kid: auth.keyId } : {}) };
  }
  if (typeof privateKey === 'string' || isJwk(privateKey)) {
    const jwk = typeof privateKey === 'string' ? parseJwk(privateKey) : privateKey;
    if (typeof jwk.d !== 'string') throw new TypeError('private_key_jwt needs a private JWK (with "d")');
    const alg = auth.algorithm ?? jwk.alg ?? 'ES256';
    const kid = auth.keyId ?? jwk.kid;
    return { key: await importJWK(jwk, alg), alg, ...(kid ? { kid } : {}) };
  }
  return { key: privateKey, alg: auth.algorithm ?? 'ES256', ...(auth.keyId ? { kid: auth.keyId } : {}) };
}

function isJwk(value: unknown): value is JWK {
  return typeof value === 'object' && value !== null && typeof (value as { kty?: unknown }).kty === 'string';
}

function parseJwk(text: string): JWK {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The text is key material: say what it is not, never what it is.
    throw new TypeError('private_key_jwt key is neither a PKCS#8 PEM nor JWK JSON');
  }
  if (!isJwk(parsed)) throw new TypeError('private_key_jwt key JSON is not a JWK');
  return parsed;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
