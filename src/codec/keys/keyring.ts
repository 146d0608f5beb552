// The contract every encrypting part of Steward relies on: one tenant's keys, sealed and opened with
// AES-256-GCM. The Vault-backed implementation lives beside it; user-token handles, the PII vault and the
// payload codec all go through this interface, so a key can never be picked for the wrong tenant.
import type { TenantId } from '../../tenancy/tenant-id';

export interface SealedBytes {
  /** Which of the tenant's keys sealed it; old keys keep opening what they sealed after a rotation. */
  keyId: string;
  /** IV, ciphertext and tag, as one buffer. */
  sealed: Uint8Array;
}

export interface TenantKeyring {
  readonly tenant: TenantId;
  /** Seals under the tenant's active key with a fresh IV; `aad` binds the purpose (and the tenant). */
  seal(plaintext: Uint8Array, aad: string): Promise<SealedBytes>;
  /** Opens what `seal` produced; a wrong key id, tenant, aad or a tampered byte is a clear error, never garbage. */
  open(sealed: SealedBytes, aad: string): Promise<Uint8Array>;
}

/** What `steward keys list` shows of a key: never its material. */
export interface KeyInfo {
  keyId: string;
  createdAt: Date;
  active: boolean;
}

/** A keyring that can also be managed: rotation makes a new active key, and every older key keeps opening. */
export interface ManagedTenantKeyring extends TenantKeyring {
  /** Creates a new key and makes it the one new payloads are sealed with. */
  rotate(): Promise<KeyInfo>;
  /** The tenant's keys, oldest first. */
  listKeys(): Promise<KeyInfo[]>;
}
