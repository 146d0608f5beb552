// The local stack's address book (STATE_DIR/stack.json): written by `steward dev`, read by every other
// command so that, on a developer machine, they find Temporal and Postgres without any configuration.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const StackFile = z.object({
  temporal: z.object({ address: z.string(), ui: z.string(), binary: z.string(), pid: z.number().optional() }),
  postgres: z.object({ url: z.string(), owned: z.boolean(), data_dir: z.string().optional() }),
  /** The worker the stack started, and only that one: its start time tells it from a later process with its pid. */
  worker: z.object({ pid: z.number().optional(), start_ticks: z.number().optional(), health_url: z.string().optional() }).default({}),
  /** The Vault dev server: its root token is for local use only. */
  vault: z.object({ address: z.string(), root_token: z.string(), binary: z.string(), pid: z.number().optional() }).optional(),
  /** Jaeger: the trace UI and the OTLP/HTTP endpoint workers export to. */
  jaeger: z.object({ ui: z.string(), otlp_endpoint: z.string(), binary: z.string(), pid: z.number().optional() }).optional(),
  /** Loopback services of the stack that run as Node processes, by part name (sts, llm, …). */
  services: z.record(z.string(), z.object({ url: z.string(), pid: z.number().optional() })).default({}),
  logs_dir: z.string(),
});
export type StackFile = z.infer<typeof StackFile>;

export function stackFilePath(stateDir: string): string {
  return join(stateDir, 'stack.json');
}

export function readStackFile(stateDir: string): StackFile | undefined {
  const path = stackFilePath(stateDir);
  if (!existsSync(path)) return undefined;
  const parsed = StackFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

export function writeStackFile(stateDir: string, stack: StackFile): void {
  writeFileSync(stackFilePath(stateDir), JSON.stringify(stack, null, 2) + '\n');
}
