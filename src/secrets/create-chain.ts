// Builds the configured chain of backends into one resolver: the one place a worker or the CLI gets secrets from.
import { createAwsBackend } from './aws-backend';
import type { SecretsConfig } from './config';
import { createEnvBackend } from './env-backend';
import { createFileBackend } from './file-backend';
import { createSecretResolver, type SecretResolver } from './resolver';
import type { Scrubber } from './scrubber';
import type { SecretBackend, SecurityEventListener } from './types';
import { createVaultBackend } from './vault-backend';
import type { VaultAuthEvent } from './vault-session';

export interface SecretChainHooks {
  onSecurityEvent?: SecurityEventListener;
  scrubber?: Scrubber;
  onVaultAuthEvent?: (event: VaultAuthEvent) => void;
  /** The variables `env:` references read; the process environment unless given. */
  env?: NodeJS.ProcessEnv;
}

function createBackend(name: SecretsConfig['backends'][number], config: SecretsConfig, hooks: SecretChainHooks): SecretBackend {
  switch (name) {
    case 'vault': {
      if (!config.vault) throw new TypeError('the vault backend needs config.vault');
      return createVaultBackend({
        ...config.vault,
        tenantPrefixTemplate: config.vaultPrefixTemplate,
        ...(hooks.onVaultAuthEvent ? { onAuthEvent: hooks.onVaultAuthEvent } : {}),
      });
    }
    case 'file': {
      if (!config.file) throw new TypeError('the file backend needs config.file');
      return createFileBackend({ dir: config.file.dir, vaultPrefixTemplate: config.vaultPrefixTemplate });
    }
    case 'env':
      return createEnvBackend({ ...config.env, ...(hooks.env ? { env: hooks.env } : {}) });
    case 'aws': {
      if (!config.aws) throw new TypeError('the aws backend needs config.aws');
      return createAwsBackend(config.aws);
    }
  }
}

export function createSecretChain(config: SecretsConfig, hooks: SecretChainHooks = {}): SecretResolver {
  return createSecretResolver({
    backends: config.backends.map((name) => createBackend(name, config, hooks)),
    failOpen: config.failOpen,
    cacheTtlMs: config.cacheTtlMs,
    vaultPrefixTemplate: config.vaultPrefixTemplate,
    ...(hooks.onSecurityEvent ? { onSecurityEvent: hooks.onSecurityEvent } : {}),
    ...(hooks.scrubber ? { scrubber: hooks.scrubber } : {}),
  });
}
