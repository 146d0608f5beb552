// Checks a caller's client certificate against the CAs a tenant trusts and reads the agent it names. The TLS layer
// has already proved the caller holds the certificate's key; trust is decided here, per tenant, so each tenant
// trusts only the organisations it federates with. A certificate must be issued directly by a trusted CA.
import { X509Certificate } from 'node:crypto';
import type { TrustedCa } from './federation-settings';

export type CertificateCheck =
  | { ok: true; identity: string; fingerprint: string; ca: string }
  | { ok: false; reason: 'client_certificate_missing' | 'client_certificate_untrusted' | 'client_certificate_expired' | 'client_certificate_without_identity'; fingerprint?: string };

/** The agent a certificate names: the last path segment of its first spiffe:// SAN URI, else its CN. */
export function agentOfCertificate(certificate: X509Certificate): string | undefined {
  const uri = (certificate.subjectAltName ?? '')
    .split(/,\s*/)
    .map((name) => /^URI:(spiffe:\/\/.+)$/.exec(name)?.[1])
    .find((value) => value !== undefined);
  if (uri !== undefined) return uri.split('/').filter((segment) => segment !== '').at(-1);
  return /^CN=(.+)$/m.exec(certificate.subject)?.[1];
}

export function checkClientCertificate(raw: Buffer | undefined, trusted: readonly TrustedCa[], now: Date): CertificateCheck {
  if (!raw || raw.length === 0) return { ok: false, reason: 'client_certificate_missing' };
  const certificate = new X509Certificate(raw);
  const fingerprint = certificate.fingerprint256;
  const issuer = trusted.find((ca) => {
    const authority = new X509Certificate(ca.pem);
    return certificate.checkIssued(authority) && certificate.verify(authority.publicKey) && within(authority, now);
  });
  if (!issuer) return { ok: false, reason: 'client_certificate_untrusted', fingerprint };
  if (!within(certificate, now)) return { ok: false, reason: 'client_certificate_expired', fingerprint };
  const identity = agentOfCertificate(certificate);
  if (identity === undefined) return { ok: false, reason: 'client_certificate_without_identity', fingerprint };
  return { ok: true, identity, fingerprint, ca: issuer.name };
}

function within(certificate: X509Certificate, now: Date): boolean {
  return Date.parse(certificate.validFrom) <= now.getTime() && now.getTime() < Date.parse(certificate.validTo);
}
