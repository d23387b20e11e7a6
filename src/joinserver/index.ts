export { handleJoin, type JoinAnswer, type JoinRequestMessage } from './handle-join.js';
export { handleAppSKey, type AppSKeyAnswer, type AppSKeyRequestMessage } from './app-s-key.js';
export { handleHomeNs, type HomeNsAnswer } from './home-ns.js';
export { checkDevNonce, type DevNonceCheck, type DevNoncePolicy, type DevNonceState } from './dev-nonce-policy.js';
export { JoinServerError, type JoinServerErrorCode } from './errors.js';
export type { KeyEnvelope } from './key-envelope.js';
export type { JoinServerDeps, JoinServerSettings } from './join-server-deps.js';
export type { Clock, KeyVault, RandomSource } from './ports.js';
