export { dedupConfigSchema, minhashConfigSchema, impliedThreshold, type DedupConfig, type MinhashConfig } from './config.js';
export { exactHash, exactDuplicates, normaliseForExactMatch, preferred, type ExactCandidate } from './exact.js';
export { MinHasher, bandKeys, estimatedJaccard } from './minhash.js';
export { SignatureWriter, SignatureFile, type SignatureHeader } from './signature-file.js';
export { findDuplicates, type DedupRemoval, type DedupRule, type DedupStats } from './clusters.js';
export { normaliseUrl, captureTime } from './doc-key.js';
export { UnionFind } from './union-find.js';
