// The encrypting PayloadCodec: every payload leaves as `binary/encrypted`, sealed with the tenant's active key
// (its id in the metadata), the whole original Payload protobuf inside, as Temporal's own samples lay it out.
// Large payloads are deflated first; the flag is bound into the seal, so it cannot be flipped unnoticed. No payload
// is sealed larger than it may be opened (MAX_PAYLOAD_BYTES), so whatever the codec writes reads back.
import { promisify } from 'node:util';
import { constants, deflateRaw, inflateRaw } from 'node:zlib';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, type SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { StewardError } from '../errors';
import { DEFAULT_COMPRESS_ABOVE_BYTES, MAX_PAYLOAD_BYTES } from './config';
import type { TenantKeyring } from './keys/keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const COMPRESSION_METADATA = 'steward-compression';
const COMPRESSION = 'deflate-raw';
/** The keyring binds tenant and key id; this binds the purpose and whether the sealed bytes are compressed. */
const AAD = { plain: 'temporal-payload', deflated: `temporal-payload+${COMPRESSION}` } as const;

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
/** Reads metadata without copying it (this runs for every payload, in both directions). */
const text = (bytes: Uint8Array | null | undefined) =>
  bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : undefined;
/** A Buffer over the same bytes: protobufjs copies a Buffer natively, but a plain Uint8Array one byte at a time. */
const asBuffer = (bytes: Uint8Array | null | undefined) =>
  bytes && !Buffer.isBuffer(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
const ENCRYPTED_BYTES = utf8(ENCRYPTED_ENCODING);
const COMPRESSION_BYTES = utf8(COMPRESSION);

/** A payload, or the payloads of one decode call together, larger than the codec handles: `per` says which limit. */
export class PayloadTooLargeError extends StewardError {
  constructor(
    readonly limitBytes: number,
    readonly per: 'payload' | 'call',
    message: string,
  ) {
    super('LIMIT_EXCEEDED', message);
  }
}

export interface EncryptionCodecOptions {
  keyring: TenantKeyring;
  /** The namespace of the keyring's tenant: a serialization context that names another is refused. */
  namespace?: string;
  /** Payloads whose serialized form is larger than this are compressed before they are sealed. */
  compressAboveBytes?: number;
  /** What the payloads of one decode call may decode to together (the codec server's per-request cap, where callers
   *  choose the payloads); unset, only the per-payload limit applies. */
  maxDecodedBytesPerCall?: number;
}

export function createEncryptionCodec(options: EncryptionCodecOptions): PayloadCodec {
  const { keyring } = options;
  const threshold = options.compressAboveBytes ?? DEFAULT_COMPRESS_ABOVE_BYTES;
  const callLimit = options.maxDecodedBytesPerCall ?? Number.POSITIVE_INFINITY;
  const keyIdBytes = new Map<string, Uint8Array>();
  const keyIdOf = (keyId: string) => keyIdBytes.get(keyId) ?? keyIdBytes.set(keyId, utf8(keyId)).get(keyId)!;

  // One codec serves one tenant's namespace. The SDK says whose payload it is when it knows; a mismatch means a
  // wiring mistake that would seal one tenant's data with another's key, so it stops here.
  const assertOwnNamespace = (context: SerializationContext | undefined) => {
    if (context && options.namespace !== undefined && context.namespace !== options.namespace) {
      throw new StewardError(
        'TENANT_INVALID',
        `the payload codec of namespace ${options.namespace} was handed a payload of namespace ${context.namespace}`,
      );
    }
  };

  const encodeOne = async (payload: Payload): Promise<Payload> => {
    const serialized = temporal.api.common.v1.Payload.encode({ ...payload, data: asBuffer(payload.data) }).finish();
    if (serialized.length > MAX_PAYLOAD_BYTES) {
      throw new PayloadTooLargeError(
        MAX_PAYLOAD_BYTES,
        'payload',
        `a payload of ${serialized.length} bytes is larger than the codec's limit of ${MAX_PAYLOAD_BYTES} bytes per payload: ` +
          'keep large data outside workflow history',
      );
    }
    // Compressing before sealing lets the sealed length hint at the content; only large payloads pay that, where
    // staying far from Temporal's payload and history size limits matters more.
    const deflated = serialized.length > threshold ? await deflate(serialized, { level: constants.Z_BEST_SPEED }) : undefined;
    const compressed = deflated !== undefined && deflated.length < serialized.length;
    const { keyId, sealed } = await keyring.seal(compressed ? deflated : serialized, compressed ? AAD.deflated : AAD.plain);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: ENCRYPTED_BYTES,
        [KEY_ID_METADATA]: keyIdOf(keyId),
        ...(compressed ? { [COMPRESSION_METADATA]: COMPRESSION_BYTES } : {}),
      },
      data: sealed,
    };
  };

  /** Opens one payload into at most `left` bytes; returns it and how many bytes it took. */
  const decodeOne = async (payload: Payload, left: number): Promise<{ decoded: Payload; bytes: number }> => {
    const metadata = payload.metadata ?? {};
    // Payloads that were never encrypted pass through: histories recorded before the codec (and test/replay's),
    // and signals sent by tools without a codec (e.g. `temporal workflow signal --input …`). Such a payload was
    // stored in clear already; refusing it here would only make those runs unreadable, not protect anything.
    if (text(metadata[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return { decoded: payload, bytes: 0 };
    const keyId = text(metadata[KEY_ID_METADATA]);
    if (!keyId) throw new StewardError('INPUT_INVALID', `an encrypted payload of tenant ${keyring.tenant} has no ${KEY_ID_METADATA}`);
    const compression = text(metadata[COMPRESSION_METADATA]);
    if (compression !== undefined && compression !== COMPRESSION) {
      throw new StewardError('INPUT_INVALID', `an encrypted payload of tenant ${keyring.tenant} names an unknown ${COMPRESSION_METADATA}`);
    }
    const opened = await keyring.open({ keyId, sealed: payload.data ?? new Uint8Array() }, compression ? AAD.deflated : AAD.plain);
    const serialized = compression ? await inflateWithin(opened, left) : opened;
    if (serialized.length > left) throw tooLargeForCall();
    return { decoded: temporal.api.common.v1.Payload.decode(serialized), bytes: serialized.length };
  };

  const tooLargeForCall = () =>
    new PayloadTooLargeError(callLimit, 'call', `the payloads of one decode call decode to more than the limit of ${callLimit} bytes`);

  /** Sealed bytes authenticate before they are inflated, yet whoever may encode through the codec server chooses
   *  what gets sealed: a few KiB of deflated zeros open into MiBs. The limits keep one payload, and one call, from
   *  taking the process's memory. */
  const inflateWithin = async (deflated: Uint8Array, left: number): Promise<Uint8Array> => {
    const limit = Math.min(MAX_PAYLOAD_BYTES, left);
    try {
      return await inflate(deflated, { maxOutputLength: Math.max(limit, 1) });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_BUFFER_TOO_LARGE') throw error;
      if (limit < MAX_PAYLOAD_BYTES) throw tooLargeForCall();
      throw new PayloadTooLargeError(
        MAX_PAYLOAD_BYTES,
        'payload',
        `an encrypted payload of tenant ${keyring.tenant} inflates beyond the codec's limit of ${MAX_PAYLOAD_BYTES} bytes per payload`,
      );
    }
  };

  return {
    async encode(payloads, context) {
      assertOwnNamespace(context);
      return Promise.all(payloads.map(encodeOne));
    },
    async decode(payloads, context) {
      assertOwnNamespace(context);
      // One at a time, each into what the call has left: payloads inflating in parallel could together take far
      // more than the limit before any of them finished.
      let left = callLimit;
      const decoded: Payload[] = [];
      for (const payload of payloads) {
        const opened = await decodeOne(payload, left);
        left -= opened.bytes;
        decoded.push(opened.decoded);
      }
      return decoded;
    },
  };
}
