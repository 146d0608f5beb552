// The contract every secret backend meets, and the security events secret handling reports.
// Events carry names and reasons only: never a secret value.
import type { SecretReference } from '../ir/secret-reference';

export interface ResolveContext {
  tenant: string;
}

export type BackendResult = { found: true; value: string } | { found: false };

/**
 * A store that may hold a secret. "Not found" is a result; anything else that goes wrong (unreachable,
 * refused credentials, malformed answer) throws a coded `StewardError`, so a chain can fail closed.
 */
export interface SecretBackend {
  readonly name: string;
  resolve(reference: SecretReference, context: ResolveContext): Promise<BackendResult>;
  /** Releases timers and connections (e.g. Vault token renewal). */
  close?(): Promise<void> | void;
}

export type SecurityEvent =
  | { type: 'secret_denied'; tenant: string; reference_name: string; reason: string }
  /** Only with `failOpen`: a backend failed and the chain moved on to a later (possibly weaker) one. */
  | { type: 'secret_fallback'; tenant: string; reference_name: string; backend: string; reason: string }
  | {
      type: 'secret_scrubbed';
      tenant?: string;
      reference_name: string;
      where: 'text' | 'json' | 'error' | 'log';
      /** The encodings the value was found in, when not only as it is (base64, hex, …). */
      encodings?: string[];
      /** The run, workflow and step whose activity was running, when the scrub happened inside one. */
      run_id?: string;
      workflow_id?: string;
      step?: string;
    };

export type SecurityEventListener = (event: SecurityEvent) => void;
