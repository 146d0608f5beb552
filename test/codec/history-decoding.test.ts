// The run views decode history by themselves (run-history.ts), with the SDK's public parts only: on a real tenant
// keyring, what they read back from encrypted payloads and failures is what the SDK's own client reads.
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure, TimeoutType, type PayloadCodec, type ProtoFailure } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, decodeOptionalFailureToOptionalError, encodeErrorToFailure, encodeToPayloads, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { decodeFailure, decodeFirst } from '../../src/client/run-history';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { loadTenantDataConverter } from '../../src/codec/loaded-data-converter';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const CANARY = 'ada.lovelace@example.com';
let pool: Pool;
let keyrings: KeyringFactory;
let tenant: TenantId;

beforeAll(async () => {
  tenant = await createTestTenant('history-decoding');
  pool = createPool(config.appDatabaseUrl, { max: 2 });
  keyrings = createKeyringFactory(config, pool);
});
afterAll(async () => {
  keyrings?.close();
  await pool?.end();
});

const tenantConverter = () => createTenantDataConverter({ keyring: keyrings.keyringFor(tenant), namespace: tenant });

/** A failure as history holds it: through protobuf, which keeps only the fields a Failure message has. */
const asStored = (failure: ProtoFailure): ProtoFailure => temporal.api.failure.v1.Failure.decode(temporal.api.failure.v1.Failure.encode(failure).finish());

/** Every readable field of an error and its causes, for comparing two decodings of one failure. */
function readable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { name, message, stack } = error;
  const fields = error as Error & { type?: unknown; details?: unknown; lastHeartbeatDetails?: unknown; timeoutType?: unknown; activityType?: unknown };
  return { name, message, stack, type: fields.type, details: fields.details, heartbeat: fields.lastHeartbeatDetails, timeoutType: fields.timeoutType, activityType: fields.activityType, cause: readable(error.cause) };
}

test('a payload list reads back as the SDK reads it: the first value, or undefined for an empty list', async () => {
  const sdk = loadDataConverter(tenantConverter());
  const ours = loadTenantDataConverter(tenantConverter());
  const payloads = (await encodeToPayloads(sdk, { email: CANARY, amount: 12 }, 'second'))!;
  expect(historyText(payloads)).not.toContain(CANARY);
  expect(await decodeFirst(ours, { payloads })).toEqual({ email: CANARY, amount: 12 });
  expect(await decodeFirst(ours, { payloads })).toEqual(await decodeFromPayloadsAtIndex(sdk, 0, payloads));
  expect(await decodeFirst(ours, { payloads: [] })).toBeUndefined();
  expect(await decodeFirst(ours, undefined)).toBeUndefined();
});

test("a failure with causes, details and heartbeat details reads back as the SDK's client reads it, messages and stacks decrypted", async () => {
  const sdk = loadDataConverter(tenantConverter());
  const ours = loadTenantDataConverter(tenantConverter());
  const cancelled = new CancelledFailure(`cancelled while calling ${CANARY}`, [{ contact: CANARY }]);
  const refused = ApplicationFailure.create({ type: 'TOOL_HTTP_ERROR', message: `refused for ${CANARY}`, details: [{ status: 403, contact: CANARY }], nonRetryable: true, cause: cancelled });
  const failures = [
    new ActivityFailure('activity failed', 'runTool', '7', RetryState.NON_RETRYABLE_FAILURE, 'worker', refused),
    new TimeoutFailure(undefined, { progress: CANARY }, TimeoutType.HEARTBEAT),
  ];
  for (const error of failures) {
    const failure = asStored(await encodeErrorToFailure(sdk, error));
    expect(historyText(failure)).not.toContain(CANARY);
    const decoded = await decodeFailure(ours, failure);
    expect(readable(decoded)).toEqual(readable(await decodeOptionalFailureToOptionalError(sdk, failure)));
    expect(JSON.stringify(readable(decoded))).toContain(CANARY);
  }
  const [activity] = failures;
  const back = await decodeFailure(ours, asStored(await encodeErrorToFailure(sdk, activity)));
  expect(readable(back)).toMatchObject({ name: 'ActivityFailure', cause: { type: 'TOOL_HTTP_ERROR', message: `refused for ${CANARY}`, details: [{ status: 403, contact: CANARY }], cause: { name: 'CancelledFailure', details: [{ contact: CANARY }] } } });
  expect(await decodeFailure(ours, null)).toBeUndefined();
});

test('a converter naming another failure or payload converter is refused, not loaded half-way', () => {
  const codecs: PayloadCodec[] = [];
  expect(() => loadTenantDataConverter({ payloadCodecs: codecs, failureConverterPath: '/elsewhere/failure-converter.js' })).toThrow(TypeError);
  expect(() => loadTenantDataConverter({ payloadCodecs: codecs, payloadConverterPath: '/elsewhere/payload-converter.js' })).toThrow(TypeError);
  expect(loadTenantDataConverter({}).payloadCodecs).toEqual([]);
});
