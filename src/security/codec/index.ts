export {
  AesGcmPayloadCodec,
  PayloadDecryptionError,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
} from './aes-gcm-codec';
export {
  Keyring,
  KeyringError,
  KeyringFile,
  loadKeyringFile,
  parseKeyring,
  writeNewKeyring,
} from './keyring';
export { dataConverterFromConfig, encryptingDataConverter, keyringFromConfig } from './data-converter';
