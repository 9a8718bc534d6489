export { legacySignatureTag } from '../names/store.js';
export { policyName } from '../names/store.js';
/** The signature layer's public surface: cosign-compatible keys, signing, offline verification, trust, policy, receipts. */
export { generateKeyPair, parsePrivateKey, parsePublicKey, type PublicKeyInfo, type SigningKey } from './keys.js';
export { parseKeyRef, readKeyRef, type KeyRef } from './key-ref.js';
export { writeNewKeyPair } from './key-files.js';
export { signArtifact, type SignOptions, type SignResult } from './sign.js';
export { verifySignatures, type LoadedTrust, type VerifiedSignature, type VerifyOptions, type VerifyRequirement, type VerifyResult } from './verify.js';
export { exact, regexp, matchIdentity, type IdentityRequirement, type Matcher } from './identity.js';
export { importTrustRoot, loadTrustRoot, showTrustRoot, type TrustInfo } from './trust-store.js';
export { trustRootArtifact, trustRootFromStore } from './trust-artifact.js';
export { appendReceipts, readReceipts, receiptsFor, signerLabel, type Receipt } from './receipts.js';
export { enforce, matchScope, requirementOf, type Enforcement } from './policy-engine.js';
export { inRepository, inStore, legacyCompanions, registryToStore, storeToRegistry, storeToStore } from './legacy-companions.js';
export { storeLegacyRefs } from './locations.js';
