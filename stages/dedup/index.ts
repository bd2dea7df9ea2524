export {
  dedupConfigSchema,
  minhashConfigSchema,
  impliedThreshold,
  type DedupConfig,
  type MinhashConfig,
} from './config.js';
export { exactHash, exactDuplicates, normaliseForExactMatch, preferred, type ExactCandidate } from './exact.js';
export { MinHasher, bandKeys, estimatedJaccard } from './minhash.js';
export { SignatureWriter, SignatureFile, type SignatureHeader } from './signature-file.js';
export {
  findDuplicates,
  EARLIER_EXACT,
  EARLIER_NEAR,
  EARLIER_URL,
  type DedupRemoval,
  type DedupRule,
  type DedupStats,
  type FindDuplicatesOptions,
} from './clusters.js';
export { writeLedger, type PriorLedger } from './ledger.js';
export { normaliseUrl, captureTime } from './doc-key.js';
export { UnionFind } from './union-find.js';
