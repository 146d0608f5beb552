// Bounds how many decodes the codec server runs at once, in all and per caller. A request of a few hundred KiB may
// inflate to the per-request limit (64 MiB) and take several times that in memory while it is decoded and answered,
// so memory is bounded only if the number of such requests in flight is. A decode beyond either limit waits briefly
// in line; one that cannot start in time, or finds the line full, is refused: 429 when the caller's own decodes hold
// it back (another caller is still served), 503 when the server is busy with everyone's.

export interface DecodeLimits {
  /** Decodes running at once in the process. */
  maxConcurrent: number;
  /** Decodes running at once for one caller (a token's tenant and subject). */
  maxConcurrentPerCaller: number;
  /** How long a decode may wait for its turn before it is refused. */
  maxWaitMs: number;
  /** Decodes of one caller waiting at once; more are refused at once. */
  maxQueuedPerCaller: number;
  /** Decodes waiting at once in the process; more are refused at once. */
  maxQueued: number;
}

/** Two heavy decodes at a time, one per caller, so a caller flooding the server leaves room for another. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxConcurrent: 2, maxConcurrentPerCaller: 1, maxWaitMs: 5_000, maxQueuedPerCaller: 32, maxQueued: 256 };

/** Why a decode was not let in: the caller's own limit (429) or the whole server's (503). */
export class DecodeSlotRefused extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
  ) {
    super(status === 429 ? 'too many decodes in flight for this caller' : 'the codec server is busy decoding');
  }
}

interface Waiter {
  caller: string;
  admit: () => void;
  timer: NodeJS.Timeout;
}

export interface DecodeLimiter {
  /** Resolves with the slot's release once the decode may start; rejects with DecodeSlotRefused. */
  acquire(caller: string): Promise<() => void>;
}

export function createDecodeLimiter(limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeLimiter {
  const running = new Map<string, number>();
  const queued = new Map<string, number>();
  const line: Waiter[] = [];
  let runningTotal = 0;
  const retryAfterSeconds = Math.max(1, Math.ceil(limits.maxWaitMs / 1000));

  const count = (counts: Map<string, number>, caller: string, delta: number) => {
    const next = (counts.get(caller) ?? 0) + delta;
    if (next === 0) counts.delete(caller);
    else counts.set(caller, next);
  };
  const mayStart = (caller: string) => runningTotal < limits.maxConcurrent && (running.get(caller) ?? 0) < limits.maxConcurrentPerCaller;

  const start = (caller: string): (() => void) => {
    runningTotal += 1;
    count(running, caller, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      runningTotal -= 1;
      count(running, caller, -1);
      admitNext();
    };
  };

  // First come, first served, skipping callers still at their own limit so they do not hold up the others.
  const admitNext = () => {
    for (let index = 0; index < line.length && runningTotal < limits.maxConcurrent; ) {
      const waiter = line[index]!;
      if (!mayStart(waiter.caller)) {
        index += 1;
        continue;
      }
      line.splice(index, 1);
      clearTimeout(waiter.timer);
      count(queued, waiter.caller, -1);
      waiter.admit();
    }
  };

  return {
    acquire(caller) {
      if (line.length === 0 && mayStart(caller)) return Promise.resolve(start(caller));
      const ownLimit = () => (running.get(caller) ?? 0) >= limits.maxConcurrentPerCaller;
      if ((queued.get(caller) ?? 0) >= limits.maxQueuedPerCaller) return Promise.reject(new DecodeSlotRefused(429, retryAfterSeconds));
      if (line.length >= limits.maxQueued) return Promise.reject(new DecodeSlotRefused(ownLimit() ? 429 : 503, retryAfterSeconds));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          caller,
          admit: () => resolve(start(caller)),
          timer: setTimeout(() => {
            line.splice(line.indexOf(waiter), 1);
            count(queued, caller, -1);
            reject(new DecodeSlotRefused(ownLimit() ? 429 : 503, retryAfterSeconds));
          }, limits.maxWaitMs),
        };
        line.push(waiter);
        count(queued, caller, 1);
        // A slot may be free for this caller though others wait (they are at their own limits).
        admitNext();
      });
    },
  };
}
