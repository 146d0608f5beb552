// Inbound federation tokens: `stfed_<id>_<secret>`, 256 bits of randomness. Only the SHA-256 of the whole token is
// kept; the id in the clear finds the entry to compare against, in constant time. Pure apart from randomness.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InboundToken } from './federation-settings';

const TOKEN_PATTERN = /^stfed_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  id: string;
  /** Shown once, to the operator who issued it; never stored. */
  plaintext: string;
  sha256: string;
}

export function mintInboundToken(): MintedToken {
  const id = randomBytes(8).toString('hex');
  const plaintext = `stfed_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, plaintext, sha256: sha256Hex(plaintext) };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The id a presented token claims, or undefined when it is not shaped like one of ours. */
export function tokenIdOf(presented: string): string | undefined {
  return TOKEN_PATTERN.exec(presented)?.[1];
}

export type TokenCheck =
  | { ok: true; token: InboundToken }
  | { ok: false; reason: 'token_invalid' | 'token_revoked' | 'token_expired'; token?: InboundToken };

/** Finds the presented token among the tenant's; the reason says why it does not count. */
export function checkInboundToken(presented: string, tokens: readonly InboundToken[], now: Date): TokenCheck {
  const id = tokenIdOf(presented);
  const entry = id === undefined ? undefined : tokens.find((token) => token.id === id);
  if (!entry || !timingSafeEqual(Buffer.from(entry.sha256, 'hex'), Buffer.from(sha256Hex(presented), 'hex'))) return { ok: false, reason: 'token_invalid' };
  if (entry.revoked_at !== undefined) return { ok: false, reason: 'token_revoked', token: entry };
  if (Date.parse(entry.expires_at) <= now.getTime()) return { ok: false, reason: 'token_expired', token: entry };
  return { ok: true, token: entry };
}
