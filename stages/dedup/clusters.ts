import type { Logger } from '../../pipeline/types.js';
import { silentLogger } from '../../pipeline/types.js';
import { impliedThreshold, type DedupConfig } from './config.js';
import { mergeBand } from './band-merge.js';
import { estimatedJaccard } from './minhash.js';
import { Meta, META_FIELDS, SignatureFile } from './signature-file.js';
import { UnionFind } from './union-find.js';

export type DedupRule = 'url_duplicate' | 'exact_duplicate' | 'near_duplicate';
const RULES: (DedupRule | undefined)[] = [undefined, 'url_duplicate', 'exact_duplicate', 'near_duplicate'];

export interface DedupRemoval {
  id: string;
  rule: DedupRule;
  reason: string;
  values: { duplicate_of: string; [k: string]: unknown };
}

export interface DedupStats {
  docs: number;
  removed: Record<DedupRule, number>;
  near_clusters: number;
  buckets: number;
  /** Bucket pairs whose signatures agreed less than verify_min_jaccard. */
  rejected_pairs: number;
  threshold: number;
}

/**
 * Which document of a group is kept (documented rule): most query hits, then the longest text, then the
 * smallest id (documents are numbered in id order, so the smallest index).
 */
function preferredOf(meta: Uint32Array) {
  return (a: number, b: number): number => {
    const qa = meta[a * META_FIELDS + Meta.queries]!, qb = meta[b * META_FIELDS + Meta.queries]!;
    if (qa !== qb) return qa > qb ? a : b;
    const la = meta[a * META_FIELDS + Meta.length]!, lb = meta[b * META_FIELDS + Meta.length]!;
    if (la !== lb) return la > lb ? a : b;
    return a < b ? a : b;
  };
}

/** Marks every document of a key group but its keeper, among documents still alive. */
function groupBy(n: number, meta: Uint32Array, hiField: number, loField: number, alive: (i: number) => boolean, better: (a: number, b: number) => number, mark: (i: number, keeper: number) => void): void {
  const keeper = new Map<number, number>();
  const keyOf = (i: number) => meta[i * META_FIELDS + hiField]! * 2 ** 21 + (meta[i * META_FIELDS + loField]! & 0x1fffff);
  for (let i = 0; i < n; i++) {
    if (!alive(i)) continue;
    if (meta[i * META_FIELDS + hiField] === 0 && meta[i * META_FIELDS + loField] === 0) continue;
    const k = keyOf(i);
    const cur = keeper.get(k);
    keeper.set(k, cur === undefined ? i : better(cur, i));
  }
  for (let i = 0; i < n; i++) {
    if (!alive(i) || (meta[i * META_FIELDS + hiField] === 0 && meta[i * META_FIELDS + loField] === 0)) continue;
    const k = keeper.get(keyOf(i))!;
    if (k !== i) mark(i, k);
  }
}

/**
 * The dedup pass over every shard's signature file (in shard order, so documents are in id order):
 * URL duplicates (newest capture kept), then exact duplicates, then MinHash LSH near-duplicates among
 * the rest (bucket runs merged from disk, clusters by union-find). Removals come out in id order.
 */
export async function findDuplicates(paths: string[], cfg: DedupConfig, emit: (r: DedupRemoval) => Promise<void> | void, log: Logger = silentLogger): Promise<DedupStats> {
  const files = paths.map((p) => new SignatureFile(p));
  try {
    const offsets: number[] = [];
    let n = 0;
    let lastId: string | undefined;
    for (const f of files) {
      const h = f.header;
      const mh = cfg.minhash;
      if (mh.enabled && (h.ngram !== mh.ngram || h.bands !== mh.bands || h.rows !== mh.rows || h.seed !== mh.seed)) {
        throw new Error(`${f.path}: signatures made with ngram ${h.ngram}, ${h.bands}x${h.rows}, seed ${h.seed}; config dedup.minhash wants ngram ${mh.ngram}, ${mh.bands}x${mh.rows}, seed ${mh.seed}`);
      }
      if (h.first_id !== undefined && lastId !== undefined && !(h.first_id > lastId)) {
        throw new Error(`${f.path}: first id ${h.first_id} is not after the previous shard's last id ${lastId}: shards must be in id order`);
      }
      lastId = h.last_id ?? lastId;
      offsets.push(n);
      n += h.docs;
    }
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
    const stats: DedupStats = { docs: n, removed: { url_duplicate: 0, exact_duplicate: 0, near_duplicate: 0 }, near_clusters: 0, buckets: 0, rejected_pairs: 0, threshold: impliedThreshold(cfg.minhash) };

    if (cfg.url) {
      const newest = (a: number, b: number) => {
        const ta = meta[a * META_FIELDS + Meta.time]!, tb = meta[b * META_FIELDS + Meta.time]!;
        return ta !== tb ? (ta > tb ? a : b) : better(a, b);
      };
      groupBy(n, meta, Meta.urlHi, Meta.urlLo, alive, newest, (i, k) => ((rule[i] = 1), (dupOf[i] = k)));
    }
    if (cfg.exact) groupBy(n, meta, Meta.exactHi, Meta.exactLo, alive, better, (i, k) => ((rule[i] = 2), (dupOf[i] = k)));

    if (cfg.minhash.enabled) {
      const uf = new UnionFind(n);
      const verify = cfg.minhash.verify_min_jaccard;
      const signatureOf = (i: number) => {
        const at = locate(i);
        return at.file.signature(at.local);
      };
      for (let band = 0; band < cfg.minhash.bands; band++) {
        stats.buckets += mergeBand(files, offsets, band, (members) => {
          let first = -1;
          let firstSig: Uint32Array | undefined;
          for (const m of members) {
            if (!alive(m)) continue;
            if (first < 0) first = m;
            else if (uf.find(first) === uf.find(m)) continue;
            else if (verify > 0) {
              firstSig ??= signatureOf(first);
              if (estimatedJaccard(firstSig, signatureOf(m)) >= verify) uf.union(first, m);
              else stats.rejected_pairs++;
            } else uf.union(first, m);
          }
        });
        log.info('dedup band merged', { band: band + 1, bands: cfg.minhash.bands });
      }
      const keeper = new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++) {
        if (!alive(i)) continue;
        const r = uf.find(i);
        keeper[r] = keeper[r]! < 0 ? i : better(keeper[r]!, i);
      }
      const counted = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (!alive(i)) continue;
        const r = uf.find(i);
        const k = keeper[r]!;
        if (k !== i) {
          rule[i] = 3;
          dupOf[i] = k;
          if (!counted[r]) {
            counted[r] = 1;
            stats.near_clusters++;
          }
        }
      }
    }

    // Keeper ids first (they may sit in later shards), then removals in id order.
    const needed = new Set<number>();
    for (let i = 0; i < n; i++) if (rule[i]) needed.add(dupOf[i]!);
    const keeperId = new Map<number, string>();
    files.forEach((f, s) => {
      const ids = f.ids();
      for (let j = 0; j < ids.length; j++) if (needed.has(offsets[s]! + j)) keeperId.set(offsets[s]! + j, ids[j]!);
    });
    for (const [s, f] of files.entries()) {
      const ids = f.ids();
      for (let j = 0; j < ids.length; j++) {
        const i = offsets[s]! + j;
        const r = RULES[rule[i]!];
        if (!r) continue;
        stats.removed[r]++;
        const k = dupOf[i]!;
        const duplicateOf = keeperId.get(k)!;
        if (r === 'near_duplicate') {
          const other = locate(k);
          const similarity = Math.round(estimatedJaccard(f.signature(j), other.file.signature(other.local)) * 1000) / 1000;
          await emit({ id: ids[j]!, rule: r, reason: `near duplicate of ${duplicateOf} (estimated Jaccard ${similarity})`, values: { duplicate_of: duplicateOf, estimated_jaccard: similarity, threshold: Math.round(stats.threshold * 1000) / 1000 } });
        } else if (r === 'url_duplicate') {
          await emit({ id: ids[j]!, rule: r, reason: `an older capture of the URL of ${duplicateOf}`, values: { duplicate_of: duplicateOf, captured: meta[i * META_FIELDS + Meta.time], kept_captured: meta[k * META_FIELDS + Meta.time] } });
        } else {
          await emit({ id: ids[j]!, rule: r, reason: `same normalised text as ${duplicateOf}`, values: { duplicate_of: duplicateOf } });
        }
      }
    }
    return stats;
  } finally {
    files.forEach((f) => f.close());
  }
}
