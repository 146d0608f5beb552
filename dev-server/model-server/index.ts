// The local model server's public surface for the dev stack and tests.
export { DEV_MODEL_SERVER_KEY, startModelServer, type ModelServer, type ModelServerOptions } from './server';
export { isModelServerHealthy } from './health';
export type { RecordedRequest } from './recorder';
