/**
 * The audit log: an append-only record of what happened to devices and accounts, each event
 * linked to the one before by a SHA-256 hash so that an edited, deleted or reordered event is
 * detected. Pure code and the storage port; docs/audit.md has the hash definition.
 */
export {
  AUDIT_ACTIONS, GENESIS_HASH, isAuditAction, type AuditAction, type AuditDetailValue, type AuditDetails, type AuditEvent,
  type AuditListQuery, type AuditLog, type AuditOutcome, type AuditRecorder, type AuditVerifyResult, type NewAuditEvent,
} from './audit-event.js';
export { AUDIT_DETAILS_MAX_KEYS, AUDIT_DETAIL_MAX_LENGTH, checkAuditDetails } from './audit-details.js';
export {
  CHAIN_START, canonicalAuditJson, chainEvent, hashAuditEvent, verifyChain, type ChainCheck, type ChainPosition,
  type HashedAuditFields,
} from './hash-chain.js';
export {
  AUDIT_PAGE_MAX, listAuditEvents, toAuditEventView, verifyAuditLog, type AuditEventView, type AuditQueryInput,
} from './read-audit.js';
