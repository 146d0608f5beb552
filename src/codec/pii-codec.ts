// The PII payload codec: on encode, PII in JSON payloads is replaced by vault tokens before anything else (the
// encryption codec) sees it; on decode, tokens become the real values again, a mask, or stay tokens.
//
// How the data policy applies here: a codec sees payloads, not the run or node they belong to, so it applies the
// tenant's floor to every JSON payload — all built-in detectors, always tokenized, because only a token can be
// turned back into the value the workflow needs. A run's `redaction_mode` governs what its audit trail, logs and
// model prompts hold, not history; its `pii_fields` and custom detectors are not applied here (those values still
// travel encrypted); `retention_days` sets how long vault entries live (see pii-retention.ts).
//
// Only tokens this codec wrote are ever restored: each encoded payload lists them in its metadata under a MAC of
// the tenant's key, so a token typed into a signal or an input ("[pii:email:tok_…]") stays text instead of
// becoming an oracle for someone else's value. A list that is malformed or fails its MAC is an error, never
// skipped: decoding on would hand a run markers in place of its values (a worker and a client keyed differently).
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { z } from 'zod';
import { StewardError } from '../errors';
import { createPiiDetector } from '../pii/detect';
import { contextOfKey, detectInContext, type KeyContext } from '../pii/key-context';
import { findMarkers } from '../pii/markers';
import { maskValue } from '../pii/mask';
import { BUILTIN_DETECTORS } from '../pii/policy';
import { replaceSpans } from '../pii/redact';
import type { PiiSpan } from '../pii/types';
import type { PiiVault, RestoredValue } from './pii-vault';

/** What decoding shows for a token: the real value (worker, typed client, `pii:read`), a mask, or the token. */
export type PiiView = 'restore' | 'mask' | 'token';

export interface PiiCodecOptions {
  vault: PiiVault;
  view?: PiiView;
  /** The tenant's namespace: a payload addressed to any other namespace is refused, never handled with this vault. */
  namespace?: string;
}

/** Metadata key of the tokens a payload holds; JSON `{tokens, numbers, mac}`. */
export const PII_METADATA_KEY = 'steward-pii';
const JSON_PLAIN = 'json/plain';
// Integers this long may be phone or card numbers stored as numbers; shorter ones cannot be any detected PII.
const MIN_PII_INTEGER = 1_000_000;

const detector = createPiiDetector({ detectors: BUILTIN_DETECTORS });
const utf8 = new TextEncoder();

const TokenList = z.object({
  tokens: z.array(z.string()),
  /** JSON pointers (into the encoded document) of numbers that became strings holding tokens. */
  numbers: z.array(z.string()),
  mac: z.string(),
});
type TokenList = z.infer<typeof TokenList>;
const NO_TOKENS: TokenList = { tokens: [], numbers: [], mac: '' };

export function createPiiCodec(options: PiiCodecOptions): PayloadCodec {
  const { vault } = options;
  const view = options.view ?? 'restore';
  const assertNamespace = (context: SerializationContext | undefined) => {
    if (options.namespace !== undefined && context?.namespace !== undefined && context.namespace !== options.namespace) {
      throw new StewardError('TENANT_INVALID', `pii codec: a payload of namespace ${context.namespace} reached the codec of ${options.namespace}`);
    }
  };

  return {
    async encode(payloads, context) {
      assertNamespace(context);
      const documents = payloads.map(readPlainJson);
      const found = new Map<string, { type: string; value: string }>();
      const spansOf = new Map<string, PiiSpan[]>();
      const holdsPii = documents.map((document) => document !== undefined && collectPii(document.value, spansOf, found));
      if (found.size === 0) return payloads;
      const tokenOf = new Map(
        await unlessVaultUnreachable('tokenize', () => Promise.all([...found].map(async ([key, { type, value }]) => [key, await vault.tokenize(type, value)] as const))),
      );
      return payloads.map((payload, i) => (holdsPii[i] ? tokenizePayload(payload, documents[i]!.value, spansOf, tokenOf, vault) : payload));
    },

    async decode(payloads, context) {
      assertNamespace(context);
      const lists = payloads.map((payload, i) => readTokenList(payload, i, vault));
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

/** Finds PII in every string, key and long integer of `value`; returns whether there was any. */
function collectPii(value: unknown, spansOf: Map<string, PiiSpan[]>, found: Map<string, { type: string; value: string }>): boolean {
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
  const visit = (node: unknown, depth: number, context: KeyContext | undefined): void => {
    if (typeof node === 'string') scan(node, context);
    else if (typeof node === 'number') {
      if (Number.isInteger(node) && Math.abs(node) >= MIN_PII_INTEGER) scan(String(node), context);
    } else if (Array.isArray(node)) {
      assertDepth(depth);
      for (const item of node) visit(item, depth + 1, context);
    } else if (node !== null && typeof node === 'object') {
      assertDepth(depth);
      for (const key of Object.keys(node)) {
        scan(key);
        visit((node as Record<string, unknown>)[key], depth + 1, contextOfKey(key) ?? context);
      }
    }
  };
  visit(value, 1, undefined);
  return any;
}

type Path = Array<string | number>;

interface Rewrite {
  string(value: string, path: Path): unknown;
  number(value: number, path: Path): unknown;
  key(key: string): string;
  /** Whether paths follow the keys as they are written (encode) or as they were read (decode). */
  pathFollows: 'written' | 'read';
}

/** A rewritten copy of a parsed JSON document. */
function rewriteJson(node: unknown, rewrite: Rewrite, path: Path = []): unknown {
  if (typeof node === 'string') return rewrite.string(node, path);
  if (typeof node === 'number') return rewrite.number(node, path);
  if (node === null || typeof node !== 'object') return node;
  assertDepth(path.length + 1);
  if (Array.isArray(node)) {
    return node.map((item, i) => {
      path.push(i);
      const out = rewriteJson(item, rewrite, path);
      path.pop();
      return out;
    });
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const written = rewrite.key(key);
    path.push(rewrite.pathFollows === 'written' ? written : key);
    // defineProperty: a "__proto__" key in the JSON is data, not the object's prototype
    Object.defineProperty(out, written, { value: rewriteJson((node as Record<string, unknown>)[key], rewrite, path), enumerable: true, writable: true, configurable: true });
    path.pop();
  }
  return out;
}

function pointerOf(path: Path): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function tokenizePayload(payload: Payload, value: unknown, spansOf: Map<string, PiiSpan[]>, tokenOf: Map<string, string>, vault: PiiVault): Payload {
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
    pathFollows: 'written',
  });
  const data = utf8.encode(JSON.stringify(rewritten));
  const tokens = [...used];
  const list: TokenList = { tokens, numbers, mac: vault.tagTokenList(JSON.stringify([tokens, numbers]), data) };
  return { ...payload, metadata: { ...payload.metadata, [PII_METADATA_KEY]: utf8.encode(JSON.stringify(list)) }, data };
}

/** The payload's token list, undefined when it has none (never tokenized, or written by hand); one this
 *  tenant's codec did not write, under this tenant's key, is an error. */
function readTokenList(payload: Payload, index: number, vault: PiiVault): TokenList | undefined {
  const raw = payload.metadata?.[PII_METADATA_KEY];
  if (raw === undefined || raw === null) return undefined;
  const list = TokenList.safeParse(parseJson(text(raw)));
  if (!list.success) {
    throw new StewardError('TOKENIZER_FAILED', `pii codec: payloads[${index}].metadata.${PII_METADATA_KEY} is not a token list`);
  }
  if (!vault.checkTokenListTag(JSON.stringify([list.data.tokens, list.data.numbers]), payload.data ?? new Uint8Array(), list.data.mac)) {
    throw new StewardError(
      'TOKENIZER_FAILED',
      `pii codec: payloads[${index}].metadata.${PII_METADATA_KEY} does not verify under tenant ${vault.tenant}'s PII key: ` +
        'written under another PII master key (do the worker and the client share one?), or altered',
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

function restorePayload(payload: Payload, list: TokenList, values: Map<string, RestoredValue>, view: PiiView): Payload {
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
    return context === undefined ? candidate : replaceSpans(candidate, detectInContext(detector, candidate, context), maskValue);
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
