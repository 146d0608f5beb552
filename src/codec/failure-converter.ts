// The failure converter of every Steward worker and client, loaded by path (the SDK also bundles it into the
// workflow sandbox): failure messages and stack traces move into an encoded payload, so the payload codec
// encrypts them and history shows only "Encoded failure". Every payload of a failure is marked as one, so the codec
// can still write a failure (redacted) when it cannot reach what it needs to encode data (see fail-safe-codec.ts).
// Pure, so it is safe inside workflows.
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure, type SerializationContext } from '@temporalio/common';
import { markFailurePayloads } from './failure-marker';

class StewardFailureConverter extends DefaultFailureConverter {
  override errorToFailure(err: unknown, payloadConverter: PayloadConverter, context?: SerializationContext): ProtoFailure {
    return markFailurePayloads(super.errorToFailure(err, payloadConverter, context));
  }
}

export const failureConverter = new StewardFailureConverter({ encodeCommonAttributes: true });
