// Health of an STS: its discovery document answers, names the expected issuer and a JWKS.
import { z } from 'zod';

const Discovery = z.object({ issuer: z.string(), jwks_uri: z.string(), token_endpoint: z.string() });

export async function isStsHealthy(issuer: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return false;
    const discovery = Discovery.safeParse(await response.json());
    return discovery.success && discovery.data.issuer === issuer;
  } catch {
    return false;
  }
}
