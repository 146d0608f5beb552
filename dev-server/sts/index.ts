// The local STS of the dev stack: start it, probe it, and use its dev endpoints.
export * from './demo-directory';
export { mintDevToken, revokeDevToken, StsRequestError, type MintTokenRequest } from './dev-client';
export { isStsHealthy } from './is-sts-healthy';
export { DEFAULT_STS_PORT, EXCHANGED_TOKEN_TTL_SECONDS, startSts, type RunningSts, type StartStsOptions } from './start-sts';
