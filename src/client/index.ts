/** The B2 client: B2Client and the types it is used through. */
export * from './api.js';
export { B2Client, uploadVerdict } from './b2-client.js';
export { clampDownloadDuration, shareUrl, byNameUrl, type ClampedDuration } from './share.js';
export { tokenCacheFileName } from './token-cache.js';
export { redactUrl, redactText, redactAuthorization } from './redact.js';
