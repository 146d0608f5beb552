// Heartbeats for as long as an activity runs, when its workflow asked for them (a heartbeat timeout): a worker that
// dies mid-call stops heartbeating, and Temporal retries the attempt elsewhere after that short timeout instead of
// the attempt's whole start-to-close timeout.
import { Context } from '@temporalio/activity';

/** How often within the heartbeat timeout: often enough that a busy event loop still beats in time. */
const BEATS_PER_TIMEOUT = 4;
const MIN_INTERVAL_MS = 250;

export async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs;
  if (!timeoutMs) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), Math.max(MIN_INTERVAL_MS, Math.floor(timeoutMs / BEATS_PER_TIMEOUT)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
