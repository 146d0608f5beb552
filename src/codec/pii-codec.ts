// The PII payload codec: on encode, PII in JSON payloads is replaced by vault tokens before anything else (the
// encryption codec) sees it; on decode, tokens become the real values again, a mask, or stay tokens.
//
// How the data policy applies here: a codec sees payloads, not the definition they belong to, so it applies the
// tenant's floor to every JSON payload — all built-in detectors, always tokenized, because only a token can be
// turned back into the value the workflow needs — plus the `pii_fields` and custom detectors of the tenant's
// definitions (their union, see pii-codec-policy.ts). A run's `redaction_mode` governs what its audit trail, logs
// and model prompts hold, not history; `retention_days` sets how long vault entries live (see pii-retention.ts).
//
// Only tokens this codec wrote are ever restored: each encoded payload lists them in its metadata under a MAC of
// the tenant's key, so a token typed into a signal or an input ("[pii:email:tok_…]") stays text instead of
// becoming an oracle for someone else's value. A list that is malformed or fails its MAC is an error, never
// skipped: decoding on would hand a run markers in place of its values (a worker and a client keyed differently).
//
// What a list is bound to (format 2): the workflow id of the serialization context it was written in, under the
// MAC. Decoding in the context of another workflow id fails, so a payload copied into another run's history never
// restores there. The workflow id, not the run id: the runs of a continue-as-new chain share it and hand their
// state on; a child workflow has its own id and its payloads are written in its own context by the SDK (its input
// by the parent, for the child). A list written without a workflow context (the codec server's /encode) is bound
// to none, and a context without one (the codec server, a client, a workflow replaying an activity's result) checks
// none. A schedule's arguments are written for its action's workflow id and read by runs Temporal names after it
// (`<id>-<start time>`), so those count as the same workflow. Lists written before the binding (format 1) stay
// readable anywhere.
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { z } from 'zod';
import { StewardError } from '../errors';
import { FIELD_TYPE } from '../pii/apply-data-policy';
import { createPiiDetector, type PiiDetector } from '../pii/detect';
import { phoneOptionsFor } from '../pii/detectors/phone';
import { contextOfKey, detectInContext, type KeyContext } from '../pii/key-context';
import { findMarkers } from '../pii/markers';
import { maskValue } from '../pii/mask';
import { findPiiFieldPointers } from '../pii/pii-field-pointers';
import { BUILTIN_DETECTORS } from '../pii/policy';
import { replaceSpans } from '../pii/redact';
import type { PiiSpan } from '../pii/types';
import { EMPTY_CODEC_POLICY, type CodecDataPolicy, type CodecPolicySource } from './pii-codec-policy';
import type { PiiVault, RestoredValue } from './pii-vault/pii-vault';

/** What decoding shows for a token: the real value (worker, typed client, `pii:read`), a mask, or the token. */
export type PiiView = 'restore' | 'mask' | 'token';

export interface PiiCodecOptions {
  vault: PiiVault;
  view?: PiiView;
  /** The tenant's namespace: a payload addressed to any other namespace is refused, never handled with this vault. */
  namespace?: string;
  /** The tenant's `pii_fields`, custom detectors and phone regions; only the built-in detectors when omitted. */
  policy?: CodecPolicySource;
  /** The most distinct values one encode call may tokenize, checked before anything is written (codec server). */
  maxDistinctValues?: number;
}

/** An encode call found more distinct PII values than it may tokenize; nothing was written to the vault. */
export class TooManyPiiValuesError extends StewardError {
  constructor(readonly limit: number) {
    super('LIMIT_EXCEEDED', `pii codec: the payloads hold more than ${limit} distinct PII values, the limit of one call`);
  }
}

/** Metadata key of the tokens a payload holds; JSON `{v: 2, run, tokens, numbers, mac}` (format 1 had no v, run). */
export const PII_METADATA_KEY = 'steward-pii';
const JSON_PLAIN = 'json/plain';
// Integers this long may be phone or card numbers stored as numbers; shorter ones cannot be any detected PII.
const MIN_PII_INTEGER = 1_000_000;

const builtinDetector = createPiiDetector({ detectors: BUILTIN_DETECTORS });
const utf8 = new TextEncoder();

const TokenListV1 = z.object({
  tokens: z.array(z.string()),
  /** JSON pointers (into the encoded document) of numbers that became strings holding tokens. */
  numbers: z.array(z.string()),
  mac: z.string(),
});
const TokenListV2 = TokenListV1.extend({
  v: z.literal(2),
  /** The workflow id the payload was written for; null when it was written outside any workflow's context. */
  run: z.string().nullable(),
});
type TokenList = z.infer<typeof TokenListV2>;
/** What a masked view reads a payload without tokens as: it may still hold values its keys name (maskUnderKey). */
const NO_TOKENS: TokenList = { v: 2, run: null, tokens: [], numbers: [], mac: '' };

/** What the MAC covers. Format 2's text can never equal format 1's (`[[…`), so a bound list stripped of its
 *  binding does not verify as an old one. */
const macInput = (list: Pick<TokenList, 'tokens' | 'numbers'> & { run?: string | null; v?: 2 }) =>
  list.v === 2 ? JSON.stringify(['steward/pii-codec/2', list.run, list.tokens, list.numbers]) : JSON.stringify([list.tokens, list.numbers]);

const workflowIdOf = (context: SerializationContext | undefined): string | undefined => context?.workflowId;
// The suffix Temporal gives the workflow id of a scheduled run: `-` and the run's nominal start time.
const SCHEDULED_RUN_SUFFIX = /^-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Whether a list bound to workflow `bound` may be read by workflow `here`: the same one, or a run of its schedule. */
function isSameWorkflow(bound: string, here: string): boolean {
  return bound === here || (here.startsWith(bound) && SCHEDULED_RUN_SUFFIX.test(here.slice(bound.length)));
}

/** The detector of a policy: the built-ins, with the policy's custom detectors and phone regions. */
function detectorFor(policy: CodecDataPolicy): PiiDetector {
  if (policy.customDetectors.length === 0 && policy.phoneRegions === undefined) return builtinDetector;
  return createPiiDetector({ detectors: BUILTIN_DETECTORS, customDetectors: policy.customDetectors, phone: phoneOptionsFor(policy.phoneRegions) });
}

export function createPiiCodec(options: PiiCodecOptions): PayloadCodec {
  const { vault } = options;
  const view = options.view ?? 'restore';
  const assertNamespace = (context: SerializationContext | undefined) => {
    if (options.namespace !== undefined && context?.namespace !== undefined && context.namespace !== options.namespace) {
      throw new StewardError('TENANT_INVALID', `pii codec: a payload of namespace ${context.namespace} reached the codec of ${options.namespace}`);
    }
  };

  // Compiled once per policy the source hands out (it hands out the same object until the tenant's definitions change).
  let compiled: { policy: CodecDataPolicy; detector: PiiDetector } = { policy: EMPTY_CODEC_POLICY, detector: builtinDetector };
  const detectorOf = (policy: CodecDataPolicy) => {
    if (compiled.policy !== policy) compiled = { policy, detector: detectorFor(policy) };
    return compiled.detector;
  };

  return {
    async encode(payloads, context) {
      assertNamespace(context);
      const documents = payloads.map(readPlainJson);
      if (documents.every((document) => document === undefined)) return payloads;
      const policy = options.policy ? await unlessVaultUnreachable('tokenize', options.policy) : EMPTY_CODEC_POLICY;
      const detector = detectorOf(policy);
      const found = new Map<string, { type: string; value: string }>();
      const spansOf = new Map<string, PiiSpan[]>();
      const fieldsOf = documents.map((document) => (document === undefined ? NO_FIELDS : fieldKeysOf(document.value, policy.fieldPaths)));
      const holdsPii = documents.map((document, i) => document !== undefined && collectPii(document.value, detector, fieldsOf[i]!, spansOf, found));
      if (found.size === 0) return payloads;
      if (options.maxDistinctValues !== undefined && found.size > options.maxDistinctValues) throw new TooManyPiiValuesError(options.maxDistinctValues);
      const tokenOf = new Map(
        await unlessVaultUnreachable('tokenize', () => Promise.all([...found].map(async ([key, { type, value }]) => [key, await vault.tokenize(type, value)] as const))),
      );
      const run = workflowIdOf(context) ?? null;
      return payloads.map((payload, i) => (holdsPii[i] ? tokenizePayload(payload, documents[i]!.value, fieldsOf[i]!, spansOf, tokenOf, vault, run) : payload));
    },

    async decode(payloads, context) {
      assertNamespace(context);
      const here = workflowIdOf(context);
      const lists = payloads.map((payload, i) => readTokenList(payload, i, vault, here));
      // a masked view also looks at payloads without tokens: values its keys name may have reached history before
      // keys were context (maskUnderKey below)
      if (view !== 'mask' && lists.every((list) => list === undefined)) return payloads;
      const wanted = [...new Set(lists.flatMap((list) => list?.tokens ?? []))];
      // Only the restore view hands values to a run (worker, typed client): that use keeps their entries alive.
      const values =
        view === 'token' ? new Map<string, RestoredValue>() : await unlessVaultUnreachable('restore', () => vault.restore(wanted, { extendRetention: view === 'restore' }));
      return payloads.map((payload, i) => {
        const list = lists[i] ?? (view === 'mask' && readPlainJson(payload) !== undefined ? NO_TOKENS : undefined);
        return list ? restorePayload(payload, list, values, view) : payload;
      });
    },
  };
}

/** Runs a vault operation; a failure of the vault's database becomes an error that names no address (a connection
 *  error quotes the database's IP address, which would itself be PII to tokenize) and is worth retrying. */
async function unlessVaultUnreachable<T>(what: 'tokenize' | 'restore', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StewardError) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'unreachable';
    throw new StewardError('TOKENIZER_FAILED', `pii codec: could not ${what} PII: the PII vault is unavailable (${reason}); the task is retried`);
  }
}

function text(bytes: Uint8Array | null | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '';
}

/** The parsed JSON of a `json/plain` payload; undefined for every other payload (binary, null, protobuf). */
function readPlainJson(payload: Payload): { value: unknown } | undefined {
  if (text(payload.metadata?.encoding) !== JSON_PLAIN || !payload.data?.length) return undefined;
  try {
    return { value: JSON.parse(text(payload.data)) };
  } catch {
    return undefined; // not JSON after all: left as it is, still encrypted by the next codec
  }
}

const pairKey = (type: string, value: string) => `${type}\u0000${value}`;
/** Where a string's spans are kept: its key's context (none for most) and the string; the context holds no NUL. */
const scanKey = (candidate: string, context: KeyContext | undefined) => `${context ?? ''}\u0000${candidate}`;

/** The context of the innermost key on `path` that names a kind of PII (key-context.ts). */
function contextAt(path: Path): KeyContext | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i];
    const context = typeof part === 'string' ? contextOfKey(part) : undefined;
    if (context !== undefined) return context;
  }
  return undefined;
}

/** Payloads nested deeper than this are refused: the walks below recurse, and no real payload nests this deep. */
export const MAX_PAYLOAD_DEPTH = 256;

function assertDepth(depth: number): void {
  if (depth > MAX_PAYLOAD_DEPTH) {
    throw new StewardError('LIMIT_EXCEEDED', `pii codec: a payload nests deeper than the limit of ${MAX_PAYLOAD_DEPTH} levels`);
  }
}

/** The values a policy's `pii_fields` name in a document, as the keys of their parents (object or array). */
type FieldKeys = ReadonlyMap<object, ReadonlySet<string | number>>;
const NO_FIELDS: FieldKeys = new Map();

function fieldKeysOf(document: unknown, paths: readonly string[]): FieldKeys {
  if (paths.length === 0 || document === null || typeof document !== 'object') return NO_FIELDS;
  const fields = new Map<object, Set<string | number>>();
  for (const path of paths) {
    let pointers: Set<string>;
    try {
      pointers = findPiiFieldPointers(document, [path]);
    } catch {
      continue; // a path this engine cannot evaluate was refused when its definition was checked; it finds nothing here
    }
    for (const pointer of pointers) {
      const at = parentOf(document, pointer);
      if (at === undefined) continue;
      let keys = fields.get(at.parent);
      if (keys === undefined) fields.set(at.parent, (keys = new Set()));
      keys.add(at.key);
    }
  }
  return fields.size === 0 ? NO_FIELDS : fields;
}

/** The object or array holding the value at a JSON pointer, and its key there. */
function parentOf(document: object, pointer: string): { parent: object; key: string | number } | undefined {
  const segments = pointer.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = document;
  for (let i = 0; i < segments.length; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    const key = Array.isArray(node) ? Number(segments[i]) : segments[i]!;
    if (i === segments.length - 1) return { parent: node, key };
    node = (node as Record<string | number, unknown>)[key];
  }
  return undefined;
}

const isFieldOf = (fields: FieldKeys, parent: object, key: string | number) => fields.size > 0 && (fields.get(parent)?.has(key) ?? false);

/** The text a `pii_fields` value is tokenized as, or undefined for one with nothing to hide. */
function fieldText(node: unknown): string | undefined {
  if (typeof node === 'string') return node.trim() === '' ? undefined : node;
  return typeof node === 'number' && Number.isFinite(node) ? String(node) : undefined;
}

/** Finds PII in every string, key and long integer of `value`, and the values at its fields; returns whether there was any. */
function collectPii(
  value: unknown,
  detector: PiiDetector,
  fields: FieldKeys,
  spansOf: Map<string, PiiSpan[]>,
  found: Map<string, { type: string; value: string }>,
): boolean {
  let any = false;
  const scan = (candidate: string, context?: KeyContext) => {
    const key = scanKey(candidate, context);
    let spans = spansOf.get(key);
    if (spans === undefined) {
      spans = detectInContext(detector, candidate, context);
      if (spans.length === 0) return;
      spansOf.set(key, spans);
    }
    any = true;
    for (const span of spans) {
      const piece = candidate.slice(span.start, span.end);
      found.set(pairKey(span.type, piece), { type: span.type, value: piece });
    }
  };
  const visit = (node: unknown, depth: number, inField: boolean, context: KeyContext | undefined): void => {
    if (inField && (typeof node === 'string' || typeof node === 'number')) {
      const whole = fieldText(node);
      if (whole !== undefined) {
        any = true;
        found.set(pairKey(FIELD_TYPE, whole), { type: FIELD_TYPE, value: whole });
      }
    } else if (typeof node === 'string') scan(node, context);
    else if (typeof node === 'number') {
      if (Number.isInteger(node) && Math.abs(node) >= MIN_PII_INTEGER) scan(String(node), context);
    } else if (Array.isArray(node)) {
      assertDepth(depth);
      for (let i = 0; i < node.length; i++) visit(node[i], depth + 1, inField || isFieldOf(fields, node, i), context);
    } else if (node !== null && typeof node === 'object') {
      assertDepth(depth);
      for (const key of Object.keys(node)) {
        scan(key);
        visit((node as Record<string, unknown>)[key], depth + 1, inField || isFieldOf(fields, node, key), contextOfKey(key) ?? context);
      }
    }
  };
  visit(value, 1, false, undefined);
  return any;
}

type Path = Array<string | number>;

interface Rewrite {
  string(value: string, path: Path): unknown;
  number(value: number, path: Path): unknown;
  /** A string or number a policy's `pii_fields` name (encode only). */
  field?(value: string | number, path: Path): unknown;
  fields?: FieldKeys;
  key(key: string): string;
  /** Whether paths follow the keys as they are written (encode) or as they were read (decode). */
  pathFollows: 'written' | 'read';
}

/** A rewritten copy of a parsed JSON document. */
function rewriteJson(node: unknown, rewrite: Rewrite, path: Path = [], inField = false): unknown {
  if (inField && rewrite.field && (typeof node === 'string' || typeof node === 'number')) return rewrite.field(node, path);
  if (typeof node === 'string') return rewrite.string(node, path);
  if (typeof node === 'number') return rewrite.number(node, path);
  if (node === null || typeof node !== 'object') return node;
  assertDepth(path.length + 1);
  const fields = rewrite.fields ?? NO_FIELDS;
  if (Array.isArray(node)) {
    return node.map((item, i) => {
      path.push(i);
      const out = rewriteJson(item, rewrite, path, inField || isFieldOf(fields, node, i));
      path.pop();
      return out;
    });
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const written = rewrite.key(key);
    path.push(rewrite.pathFollows === 'written' ? written : key);
    const value = rewriteJson((node as Record<string, unknown>)[key], rewrite, path, inField || isFieldOf(fields, node, key));
    // defineProperty: a "__proto__" key in the JSON is data, not the object's prototype
    Object.defineProperty(out, written, { value, enumerable: true, writable: true, configurable: true });
    path.pop();
  }
  return out;
}

function pointerOf(path: Path): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function tokenizePayload(
  payload: Payload,
  value: unknown,
  fields: FieldKeys,
  spansOf: Map<string, PiiSpan[]>,
  tokenOf: Map<string, string>,
  vault: PiiVault,
  run: string | null,
): Payload {
  const used = new Set<string>();
  const numbers: string[] = [];
  const replace = (type: string, piece: string) => {
    const token = tokenOf.get(pairKey(type, piece))!;
    used.add(token);
    return token;
  };
  const tokenize = (candidate: string, context?: KeyContext) => {
    const spans = spansOf.get(scanKey(candidate, context));
    return spans ? replaceSpans(candidate, spans, replace) : candidate;
  };
  const rewritten = rewriteJson(value, {
    string: (string, path) => tokenize(string, contextAt(path)),
    key: (key) => tokenize(key),
    number(number, path) {
      const spans = Number.isInteger(number) ? spansOf.get(scanKey(String(number), contextAt(path))) : undefined;
      if (!spans) return number;
      numbers.push(pointerOf(path));
      return replaceSpans(String(number), spans, replace);
    },
    field(whole, path) {
      const text = fieldText(whole);
      if (text === undefined) return whole;
      if (typeof whole === 'number') numbers.push(pointerOf(path));
      return replace(FIELD_TYPE, text);
    },
    fields,
    pathFollows: 'written',
  });
  const data = utf8.encode(JSON.stringify(rewritten));
  const tokens = [...used];
  const list: TokenList = { v: 2, run, tokens, numbers, mac: vault.tagTokenList(macInput({ v: 2, run, tokens, numbers }), data) };
  return { ...payload, metadata: { ...payload.metadata, [PII_METADATA_KEY]: utf8.encode(JSON.stringify(list)) }, data };
}

/** The payload's token list, undefined when it has none (never tokenized, or written by hand); one this
 *  tenant's codec did not write, under this tenant's key, or one bound to another workflow than `here`, is an error. */
function readTokenList(payload: Payload, index: number, vault: PiiVault, here: string | undefined): Pick<TokenList, 'tokens' | 'numbers'> | undefined {
  const raw = payload.metadata?.[PII_METADATA_KEY];
  if (raw === undefined || raw === null) return undefined;
  const json = parseJson(text(raw));
  // A list that claims format 2 is read as one: stripping its binding would leave a MAC no format-1 list has.
  const list = (json !== null && typeof json === 'object' && 'v' in json ? TokenListV2 : TokenListV1).safeParse(json);
  if (!list.success) {
    throw new StewardError('TOKENIZER_FAILED', `pii codec: payloads[${index}].metadata.${PII_METADATA_KEY} is not a token list`);
  }
  if (!vault.checkTokenListTag(macInput(list.data), payload.data ?? new Uint8Array(), list.data.mac)) {
    throw new StewardError(
      'TOKENIZER_FAILED',
      `pii codec: payloads[${index}].metadata.${PII_METADATA_KEY} does not verify under tenant ${vault.tenant}'s PII key: ` +
        'written under another PII master key (do the worker and the client share one?), or altered',
    );
  }
  const bound: string | null = 'run' in list.data ? (list.data as TokenList).run : null;
  if (bound !== null && here !== undefined && !isSameWorkflow(bound, here)) {
    throw new StewardError(
      'TOKENIZER_FAILED',
      `pii codec: payloads[${index}] was written for workflow ${JSON.stringify(bound)}, not ${JSON.stringify(here)}: ` +
        "a payload copied from another run's history does not restore its values here",
    );
  }
  return list.data;
}

function parseJson(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch {
    return undefined;
  }
}

function restorePayload(payload: Payload, list: Pick<TokenList, 'tokens' | 'numbers'>, values: Map<string, RestoredValue>, view: PiiView): Payload {
  const listed = new Set(list.tokens);
  const numbers = new Set(list.numbers);
  const replace = (_type: string, marker: string): string => {
    const restored = listed.has(marker) ? values.get(marker) : undefined;
    if (!restored) return marker; // erased, expired, or never written by this codec: the token is all there is
    return view === 'mask' ? maskValue(restored.type, restored.value) : restored.value;
  };
  const restore = (candidate: string) => (candidate.includes(':tok_') ? replaceSpans(candidate, findMarkers(candidate), replace) : candidate);
  // A value its key names (a phone, an SSN) written before keys were context reached history untokenized: a masked
  // view masks it all the same.
  const maskUnderKey = (candidate: string, path: Path) => {
    const context = view === 'mask' ? contextAt(path) : undefined;
    return context === undefined ? candidate : replaceSpans(candidate, detectInContext(builtinDetector, candidate, context), maskValue);
  };
  const rewritten = rewriteJson(JSON.parse(text(payload.data)), {
    string(value, path) {
      const out = maskUnderKey(restore(value), path);
      if (view !== 'restore' || numbers.size === 0 || !numbers.has(pointerOf(path))) return out;
      const number = Number(out);
      return out !== '' && Number.isFinite(number) ? number : out;
    },
    key: restore,
    number(number, path) {
      if (view !== 'mask' || !Number.isInteger(number) || Math.abs(number) < MIN_PII_INTEGER) return number;
      const masked = maskUnderKey(String(number), path);
      return masked === String(number) ? number : masked;
    },
    pathFollows: 'read',
  });
  const { [PII_METADATA_KEY]: _list, ...metadata } = payload.metadata ?? {};
  return { ...payload, metadata, data: utf8.encode(JSON.stringify(rewritten)) };
}
