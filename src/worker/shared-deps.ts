// What every tenant's activities share in one worker process, built once from the validated configuration.
import type { RuntimeConfig } from '../config/runtime';
import type { SharedActivityDeps } from './tenant-worker';

export function createSharedActivityDeps(config: RuntimeConfig): SharedActivityDeps {
  return {
    identity: config.identity,
    llmBaseUrls: config.llmBaseUrls,
  };
}
