// Secrets: references resolved inside activities through a chain of backends, and scrubbed from what leaves them.
export { BACKEND_NAMES, loadSecretsConfig, SecretsEnv, type BackendName, type SecretsConfig } from './config';
export { createSecretChain, type SecretChainHooks } from './create-chain';
export { createEnvBackend, type EnvBackendOptions } from './env-backend';
export { createFileBackend, type FileBackendOptions } from './file-backend';
export { createSecretResolver, type ResolvedSecret, type SecretResolver, type SecretResolverOptions } from './resolver';
export { createScrubber, type Scrubber } from './scrubber';
export { DEFAULT_VAULT_TENANT_PREFIX, formatSecretReference, locateTenantSecret } from './tenant-secret-paths';
export type { BackendResult, ResolveContext, SecretBackend, SecurityEvent, SecurityEventListener } from './types';
export { createVaultBackend, type VaultBackendOptions } from './vault-backend';
export type { VaultAuth, VaultAuthEvent } from './vault-session';
