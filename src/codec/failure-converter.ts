// The failure converter of every Steward worker and client, loaded by path (the SDK also bundles it into the
// workflow sandbox): failure messages and stack traces move into an encoded payload, so the payload codec
// encrypts them and history shows only "Encoded failure". Pure, so it is safe inside workflows.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
