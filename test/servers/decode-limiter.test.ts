// The codec server's decode limiter: one caller's decodes beyond its share wait their turn and then get 429, the
// server's beyond its total get 503, and a caller under its share goes ahead of a caller at its limit.
import { createDecodeLimiter, DecodeSlotRefused } from '../../src/servers/decode-limiter';

const limits = { maxConcurrent: 2, maxConcurrentPerCaller: 1, maxWaitMs: 200, maxQueuedPerCaller: 2, maxQueued: 3 };

test("a caller's second decode waits for its first, and is refused 429 with Retry-After when the first outlasts the wait", async () => {
  const limiter = createDecodeLimiter(limits);
  const first = await limiter.acquire('mallory');
  await expect(limiter.acquire('mallory')).rejects.toMatchObject({ status: 429, retryAfterSeconds: 1 });
  const waiting = limiter.acquire('mallory');
  first();
  const second = await waiting;
  second();
});

test("another caller is let in while one caller's decodes wait in line", async () => {
  const limiter = createDecodeLimiter(limits);
  const held = await limiter.acquire('mallory');
  const queued = [limiter.acquire('mallory'), limiter.acquire('mallory')];
  await expect(limiter.acquire('mallory')).rejects.toBeInstanceOf(DecodeSlotRefused);
  const bob = await limiter.acquire('bob');
  bob();
  held();
  (await queued[0]!)();
  (await queued[1]!)();
});

test('when every slot is taken by others, a decode waits and then gets 503', async () => {
  const limiter = createDecodeLimiter(limits);
  const [alice, bob] = [await limiter.acquire('alice'), await limiter.acquire('bob')];
  await expect(limiter.acquire('carol')).rejects.toMatchObject({ status: 503 });
  alice();
  bob();
  (await limiter.acquire('carol'))();
});
