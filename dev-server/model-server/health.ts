// Probes a model server's health endpoint, with a timeout, for the stack's status report.
import { z } from 'zod';

const Health = z.object({ ok: z.literal(true) });

export async function isModelServerHealthy(baseUrl: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && Health.safeParse(await response.json()).success;
  } catch {
    return false;
  }
}
