export { RegistryClient, type RegistryClientOptions, type RegistryStats, type BlobRef } from './client.js';
export { parseRegistryReference, formatRegistryReference, type RegistryReference } from './reference.js';
export { loadCredentials, saveCredentials, removeCredentials, credentialsPath, type Credentials } from './credentials.js';
export { parseChallenge, type Challenge } from './auth.js';
export { pushImage, type PushResult, type TransferOptions } from './push.js';
export { pullImage, type PullOptions, type PullResult } from './pull.js';
