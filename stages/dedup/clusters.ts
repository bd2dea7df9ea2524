import type { Logger } from '../../core/types.js';
import { silentLogger } from '../../core/types.js';
import { round } from '../../core/round.js';
import { impliedThreshold, type DedupConfig } from './config.js';
import { mergeBand, mergeGroups } from './band-merge.js';
import { writeLedger, type PriorLedger } from './ledger.js';
import { estimatedJaccard } from './minhash.js';
import { Meta, META_FIELDS, SignatureFile, type KeyRunName } from './signature-file.js';
import { UnionFind } from './union-find.js';

export const EARLIER_URL = 'duplicate_of_earlier_version.url';
export const EARLIER_EXACT = 'duplicate_of_earlier_version.exact';
export const EARLIER_NEAR = 'duplicate_of_earlier_version.near';
export type DedupRule =
  | 'url_duplicate'
  | 'exact_duplicate'
  | 'near_duplicate'
  | typeof EARLIER_URL
  | typeof EARLIER_EXACT
  | typeof EARLIER_NEAR;
const RULES: (DedupRule | undefined)[] = [
  undefined,
  'url_duplicate',
  'exact_duplicate',
  'near_duplicate',
  EARLIER_URL,
  EARLIER_EXACT,
  EARLIER_NEAR,
];
const R = { url: 1, exact: 2, near: 3, earlierUrl: 4, earlierExact: 5, earlierNear: 6 } as const;

export interface DedupRemoval {
  id: string;
  rule: DedupRule;
  reason: string;
  values: { duplicate_of: string; [k: string]: unknown };
}

export interface DedupStats {
  docs: number;
  /** Documents of earlier versions the run was checked against. */
  prior_docs: number;
  removed: Record<DedupRule, number>;
  near_clusters: number;
  buckets: number;
  /** Bucket pairs whose signatures agreed less than verify_min_jaccard. */
  rejected_pairs: number;
  threshold: number;
  /** Documents written to the ledger (the run's documents no rule removed). */
  ledger_docs?: number;
}

export interface FindDuplicatesOptions {
  /** Ledgers of the earlier versions of the dataset, oldest first: their documents are never removed. */
  prior?: PriorLedger[];
  /** Where to write this run's ledger: the keys of every document not removed. */
  ledger?: string;
}

const hex64 = (hi: number, lo: number) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

/**
 * Which document of a group is kept (documented rule): most query hits, then the longest text, then the
 * smallest id (documents are numbered in id order, so the smallest index).
 */
function preferredOf(meta: Uint32Array) {
  return (a: number, b: number): number => {
    const qa = meta[a * META_FIELDS + Meta.queries]!,
      qb = meta[b * META_FIELDS + Meta.queries]!;
    if (qa !== qb) return qa > qb ? a : b;
    const la = meta[a * META_FIELDS + Meta.length]!,
      lb = meta[b * META_FIELDS + Meta.length]!;
    if (la !== lb) return la > lb ? a : b;
    return a < b ? a : b;
  };
}

/**
 * The dedup pass over every shard's signature file (in shard order, so documents are in id order):
 * URL duplicates (newest capture kept), then exact duplicates, then MinHash LSH near-duplicates among
 * the rest; each from sorted runs merged from disk (clusters by union-find). With `prior` ledgers, their
 * documents take part in every rule and always win: a new document matching one is removed as a
 * duplicate of that earlier version (an earlier version is immutable, so for URLs the new capture is the
 * one dropped, unlike the in-run "newest capture wins"). Removals come out in id order.
 */
export async function findDuplicates(
  paths: string[],
  cfg: DedupConfig,
  emit: (r: DedupRemoval) => Promise<void> | void,
  log: Logger = silentLogger,
  opts: FindDuplicatesOptions = {},
): Promise<DedupStats> {
  const prior = opts.prior ?? [];
  const files: SignatureFile[] = [];
  try {
    for (const p of prior) files.push(new SignatureFile(p.path));
    for (const p of paths) files.push(new SignatureFile(p));
    const offsets: number[] = [];
    let n = 0;
    let lastId: string | undefined;
    for (const [s, f] of files.entries()) {
      const h = f.header;
      const mh = cfg.minhash;
      const what = s < prior.length ? `the ledger of version ${prior[s]!.version}` : 'signatures';
      if (
        mh.enabled &&
        h.docs > 0 &&
        (h.ngram !== mh.ngram || h.bands !== mh.bands || h.rows !== mh.rows || h.seed !== mh.seed)
      ) {
        throw new Error(
          `${f.path}: ${what} made with ngram ${h.ngram}, ${h.bands}x${h.rows}, seed ${h.seed}; config dedup.minhash wants ngram ${mh.ngram}, ${mh.bands}x${mh.rows}, seed ${mh.seed}`,
        );
      }
      if (s >= prior.length) {
        if (h.first_id !== undefined && lastId !== undefined && !(h.first_id > lastId)) {
          throw new Error(
            `${f.path}: first id ${h.first_id} is not after the previous shard's last id ${lastId}: shards must be in id order`,
          );
        }
        lastId = h.last_id ?? lastId;
      }
      offsets.push(n);
      n += h.docs;
    }
    const priorFiles = prior.length;
    const P = priorFiles > 0 ? offsets[priorFiles - 1]! + files[priorFiles - 1]!.header.docs : 0;
    const isPrior = (i: number) => i < P;
    const versionOf = (i: number) => {
      let s = priorFiles - 1;
      while (offsets[s]! > i) s--;
      return prior[s]!.version;
    };
    const locate = (i: number) => {
      let s = offsets.length - 1;
      while (offsets[s]! > i) s--;
      return { file: files[s]!, local: i - offsets[s]! };
    };
    const meta = new Uint32Array(n * META_FIELDS);
    files.forEach((f, i) => meta.set(f.meta(), offsets[i]! * META_FIELDS));
    const better = preferredOf(meta);
    const rule = new Uint8Array(n);
    const dupOf = new Int32Array(n).fill(-1);
    const alive = (i: number) => rule[i] === 0;
    const stats: DedupStats = {
      docs: n - P,
      prior_docs: P,
      removed: {
        url_duplicate: 0,
        exact_duplicate: 0,
        near_duplicate: 0,
        [EARLIER_URL]: 0,
        [EARLIER_EXACT]: 0,
        [EARLIER_NEAR]: 0,
      },
      near_clusters: 0,
      buckets: 0,
      rejected_pairs: 0,
      threshold: impliedThreshold(cfg.minhash),
    };

    /** One group of documents sharing an exact or URL key: an earlier version's document wins, else `pick`. */
    const byKey = (name: KeyRunName, inRun: number, earlier: number, pick: (a: number, b: number) => number) =>
      mergeGroups(
        files,
        offsets,
        f => f.keyRun(name),
        members => {
          let keeper = -1;
          for (const m of members) {
            if (!alive(m)) continue;
            if (keeper < 0) keeper = m;
            else if (isPrior(m) || isPrior(keeper))
              keeper = Math.min(keeper, m); // prior indices come first
            else keeper = pick(keeper, m);
          }
          if (keeper < 0) return;
          for (const m of members) {
            if (m === keeper || !alive(m) || isPrior(m)) continue;
            rule[m] = isPrior(keeper) ? earlier : inRun;
            dupOf[m] = keeper;
          }
        },
        (hi, lo) => hi === 0 && lo === 0,
      ); // 0:0 is "no URL"

    if (cfg.url) {
      const newest = (a: number, b: number) => {
        const ta = meta[a * META_FIELDS + Meta.time]!,
          tb = meta[b * META_FIELDS + Meta.time]!;
        return ta !== tb ? (ta > tb ? a : b) : better(a, b);
      };
      byKey('url', R.url, R.earlierUrl, newest);
    }
    if (cfg.exact) byKey('exact', R.exact, R.earlierExact, better);

    if (cfg.minhash.enabled) {
      const uf = new UnionFind(n);
      const verify = cfg.minhash.verify_min_jaccard;
      const signatureOf = (i: number) => {
        const at = locate(i);
        return at.file.signature(at.local);
      };
      for (let band = 0; band < cfg.minhash.bands; band++) {
        stats.buckets += mergeBand(files, offsets, band, members => {
          let first = -1;
          let firstSig: Uint32Array | undefined;
          for (const m of members) {
            if (!alive(m)) continue;
            if (first < 0) first = m;
            else if (isPrior(first) && isPrior(m))
              continue; // earlier versions were deduplicated already
            else if (uf.find(first) === uf.find(m)) continue;
            else if (verify > 0) {
              firstSig ??= signatureOf(first);
              if (estimatedJaccard(firstSig, signatureOf(m)) >= verify) uf.union(first, m);
              else stats.rejected_pairs++;
            } else uf.union(first, m);
          }
        });
        log.debug?.('dedup band merged', { band: band + 1, bands: cfg.minhash.bands });
      }
      const keeper = new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++) {
        if (!alive(i)) continue;
        const r = uf.find(i);
        const k = keeper[r]!;
        keeper[r] = k < 0 ? i : isPrior(k) || isPrior(i) ? Math.min(k, i) : better(k, i);
      }
      const counted = new Uint8Array(n);
      for (let i = P; i < n; i++) {
        if (!alive(i)) continue;
        const r = uf.find(i);
        const k = keeper[r]!;
        if (k !== i) {
          rule[i] = isPrior(k) ? R.earlierNear : R.near;
          dupOf[i] = k;
          if (!counted[r]) {
            counted[r] = 1;
            stats.near_clusters++;
          }
        }
      }
    }

    // Keeper ids first (they may sit in later shards or earlier versions), then removals in id order.
    const needed = new Set<number>();
    for (let i = P; i < n; i++) if (rule[i]) needed.add(dupOf[i]!);
    const keeperId = new Map<number, string>();
    files.forEach((f, s) => {
      const ids = f.ids();
      for (let j = 0; j < ids.length; j++) if (needed.has(offsets[s]! + j)) keeperId.set(offsets[s]! + j, ids[j]!);
    });
    const rounded = (x: number) => round(x, 3);
    for (let s = priorFiles; s < files.length; s++) {
      const f = files[s]!;
      const ids = f.ids();
      for (let j = 0; j < ids.length; j++) {
        const i = offsets[s]! + j;
        const r = RULES[rule[i]!];
        if (!r) continue;
        stats.removed[r]++;
        const k = dupOf[i]!;
        const duplicateOf = keeperId.get(k)!;
        const at = (field: number) => meta[i * META_FIELDS + field]!;
        switch (rule[i]) {
          case R.near:
          case R.earlierNear: {
            const other = locate(k);
            const similarity = rounded(estimatedJaccard(f.signature(j), other.file.signature(other.local)));
            const values = {
              duplicate_of: duplicateOf,
              estimated_jaccard: similarity,
              threshold: rounded(stats.threshold),
            };
            if (rule[i] === R.near)
              await emit({
                id: ids[j]!,
                rule: r,
                reason: `near duplicate of ${duplicateOf} (estimated Jaccard ${similarity})`,
                values,
              });
            else
              await emit({
                id: ids[j]!,
                rule: r,
                reason: `near duplicate of ${duplicateOf} published in version ${versionOf(k)} (estimated Jaccard ${similarity})`,
                values: { version: versionOf(k), ...values },
              });
            break;
          }
          case R.url:
            await emit({
              id: ids[j]!,
              rule: r,
              reason: `an older capture of the URL of ${duplicateOf}`,
              values: {
                duplicate_of: duplicateOf,
                captured: at(Meta.time),
                kept_captured: meta[k * META_FIELDS + Meta.time],
              },
            });
            break;
          case R.earlierUrl:
            await emit({
              id: ids[j]!,
              rule: r,
              reason: `its URL was published in version ${versionOf(k)} as ${duplicateOf}`,
              values: {
                version: versionOf(k),
                duplicate_of: duplicateOf,
                url_key: hex64(at(Meta.urlHi), at(Meta.urlLo)),
                captured: at(Meta.time),
                kept_captured: meta[k * META_FIELDS + Meta.time],
              },
            });
            break;
          case R.exact:
            await emit({
              id: ids[j]!,
              rule: r,
              reason: `same normalised text as ${duplicateOf}`,
              values: { duplicate_of: duplicateOf },
            });
            break;
          case R.earlierExact:
            await emit({
              id: ids[j]!,
              rule: r,
              reason: `same normalised text as ${duplicateOf}, published in version ${versionOf(k)}`,
              values: {
                version: versionOf(k),
                duplicate_of: duplicateOf,
                exact_key: hex64(at(Meta.exactHi), at(Meta.exactLo)),
              },
            });
            break;
        }
      }
    }
    if (opts.ledger) {
      const header = writeLedger(
        opts.ledger,
        files.slice(priorFiles),
        offsets.slice(priorFiles),
        i => rule[i] === 0,
        cfg.minhash.enabled ? cfg.minhash : { ...cfg.minhash, bands: 0 },
      );
      stats.ledger_docs = header.docs;
    }
    return stats;
  } finally {
    files.forEach(f => f.close());
  }
}
