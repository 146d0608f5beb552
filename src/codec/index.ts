// The payload codec: per-tenant keys in Vault Transit, the encrypting codec, and the one data-converter factory
// the client, the worker and the codec server share.
export { CodecEnv, DEFAULT_COMPRESS_ABOVE_BYTES, loadCodecConfig, type CodecConfig } from './config';
export { createTenantDataConverter, FAILURE_CONVERTER_PATH, type TenantDataConverterOptions } from './data-converter';
export {
  COMPRESSION_METADATA,
  createEncryptionCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  type EncryptionCodecOptions,
} from './encryption-codec';
export { createKeyringFactory, type KeyringFactory } from './keys/keyring-factory';
export type { KeyInfo, ManagedTenantKeyring, SealedBytes, TenantKeyring } from './keys/keyring';
export { createTransitKeys, type TransitKeys, type TransitOptions } from './keys/transit';
export { createVaultKeyring, type VaultKeyringOptions } from './keys/vault-keyring';
export { assertWorkflowIdIsSafe } from './workflow-id-guard';
