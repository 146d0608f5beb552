// The `federation` section of a tenant's settings: which of its definitions other organisations' agents may call
// over A2A, which caller agents are allowed, the scope each method needs, the CAs whose client certificates are
// trusted, and the inbound tokens, each stored as a SHA-256 hash only (the plaintext is shown once, when issued).
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

/** A caller agent's id: what its client certificate names (SAN URI's last segment, or CN) and its tokens are bound to. */
export const FederationAgentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'an agent id: lowercase letters, digits, ".", "_" and "-" (at most 100)');
export type FederationAgentId = z.infer<typeof FederationAgentId>;

export const FEDERATION_METHODS = ['message/send', 'tasks/get', 'tasks/cancel'] as const;
export type FederationMethod = (typeof FEDERATION_METHODS)[number];

export const FederationScope = z.string().regex(/^[a-z0-9][a-z0-9:._-]{0,99}$/, 'a scope: lowercase letters, digits, ":", ".", "_" and "-"');

export const DEFAULT_METHOD_SCOPES: Readonly<Record<FederationMethod, string>> = {
  'message/send': 'a2a:send',
  'tasks/get': 'a2a:read',
  'tasks/cancel': 'a2a:cancel',
};

export const InboundToken = z.strictObject({
  id: z.string().regex(/^[a-f0-9]{16}$/, 'a token id: 16 hex digits'),
  agent: FederationAgentId,
  sha256: z.string().regex(/^[a-f0-9]{64}$/, 'the SHA-256 of the token, hex'),
  scopes: z.array(FederationScope).min(1),
  expires_at: z.iso.datetime(),
  created_at: z.iso.datetime(),
  revoked_at: z.iso.datetime().optional(),
});
export type InboundToken = z.infer<typeof InboundToken>;

const CertificatePem = z.string().refine((pem) => {
  try {
    return new X509Certificate(pem).ca;
  } catch {
    return false;
  }
}, 'a PEM CA certificate');

export const TrustedCa = z.strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/), pem: CertificatePem });
export type TrustedCa = z.infer<typeof TrustedCa>;

export const ExposedAgent = z.strictObject({
  description: z.string().max(2_000).optional(),
  version: z.int().min(1).optional().describe('pins a version; the newest registered otherwise'),
});

export const FederationSettings = z.strictObject({
  /** Definition id → how it is exposed. */
  agents: z.record(z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/), ExposedAgent).default({}),
  allow: z.array(FederationAgentId).default([]),
  method_scopes: z.partialRecord(z.enum(FEDERATION_METHODS), FederationScope).default({}),
  trusted_cas: z.array(TrustedCa).default([]),
  tokens: z.array(InboundToken).default([]),
});
export type FederationSettings = z.infer<typeof FederationSettings>;

/** The scope a method needs in this tenant: its own setting, else the default. */
export function scopeForMethod(settings: FederationSettings, method: FederationMethod): string {
  return settings.method_scopes[method] ?? DEFAULT_METHOD_SCOPES[method];
}
