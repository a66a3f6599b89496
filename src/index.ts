/** hako as a library: the services the CLI is built on, and the format codecs. */
export { HakoError, type ErrorCode } from './core/errors.js';
export { parseSecretsFile, encodeSecretsFile, type SecretsFile, type EnvironmentRecord } from './core/formats/secrets-file.js';
export { parseKeyBundle, encodeKeyBundle, type KeyBundle } from './core/formats/key-bundle.js';
export { EnvironmentCipher } from './core/crypto/environment-cipher.js';
export { deriveKeyFromPassphrase, DEFAULT_KDF, type KdfParams } from './core/crypto/argon2id.js';
export { getSecret, setSecrets, revealEnvironment, listSecrets, removeSecret } from './services/secrets.js';
export { addEnvironment, listEnvironments, removeEnvironment } from './services/environments.js';
export { exportKey, importKeyBundle, importPassphrase, listKeys, rotateKey } from './services/keys.js';
export type { ServiceContext } from './services/context.js';
export { addRecipient, removeRecipient, listRecipients } from './services/recipients.js';
export { generateIdentity, whoAmI, publicKeys } from './services/identities.js';
