// History <-> Temporal's JSON form (ProtoJSON, as `temporal workflow show --output json` writes it).
// The SDK's historyToJSON/historyFromJSON fail in this install with "type must be a Type": npm gave
// @temporalio/common its own copy of protobufjs, whose protojson refuses types built by @temporalio/proto's copy.
// Taking protojson from the copy @temporalio/proto itself resolves keeps both sides on one protobufjs.
import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): { events: unknown[] } {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)) as { events: unknown[] };
}

/** Unknown fields (from a newer server) are ignored, as Temporal's own loader does. */
export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a Temporal history: it has no events');
  return history;
}
