/**
 * Post-processing of the whole query set: normalisation, length and language bounds, a blocklist,
 * exact and near-duplicate removal (per domain, first occurrence kept). Every drop is a Removal.
 */
import { readFileSync } from 'node:fs';
import { fromRepo } from '../../core/repo.js';
import type { Counters, Query, Removal } from '../../core/types.js';
import { identifyLanguage } from '../ingest/langid.js';
import type { BootstrapConfig } from './config.js';
import { NearDuplicateIndex } from './minhash.js';

export type PostprocessConfig = BootstrapConfig['postprocess'];

/** NFKC, one space between words, no wrapping quotes, `??`/`?.` collapsed to `?`. The id is kept. */
export function normaliseQuery(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u200b-\u200d\ufeff]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'“‘`]+|["'”’`]+$/g, '')
    .replace(/\s+([?.!,;:])/g, '$1')
    .replace(/([?!])[?!.]+$/, '$1')
    .trim();
}

/** What exact duplicates share: lower case, letters and digits only. */
export function exactKey(text: string): string {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');
}

/** Blocked words or phrases from a file (one per line, `#` comments), matched as whole words. */
export function loadBlocklist(path: string): RegExp | undefined {
  const file = fromRepo(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`bootstrap.postprocess.blocklist ${file}: ${(err as Error).message}`, { cause: err });
  }
  const terms = text
    .split(/\r?\n/)
    .map(l => l.replace(/#.*$/, '').trim().toLowerCase())
    .filter(Boolean)
    .map(t => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  if (terms.length === 0) return undefined;
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
}

export interface PostprocessResult {
  kept: Query[];
  removed: Removal<Query>[];
}

/** Filter queries in order; the first of each duplicate group survives; seed queries are always kept. */
export function postprocessQueries(
  queries: Iterable<Query>,
  config: PostprocessConfig,
  counters: Counters,
): PostprocessResult {
  const blocklist = config.blocklist ? loadBlocklist(config.blocklist) : undefined;
  const languages = new Set(config.languages);
  const exact = new Map<string, string>();
  const near = new Map<string, NearDuplicateIndex>();
  const nearIndex = (domain: string) => {
    let index = near.get(domain);
    if (!index)
      near.set(domain, (index = new NearDuplicateIndex(config.near_duplicate_threshold, config.shingle_words)));
    return index;
  };
  const kept: Query[] = [];
  const removed: Removal<Query>[] = [];
  const drop = (rule: string, reason: string, record: Query, values?: Record<string, unknown>) => {
    counters.add(`bootstrap.post.${rule}`);
    removed.push({ rule: `bootstrap.post.${rule}`, reason, record, ...(values ? { values } : {}) });
  };

  for (const original of queries) {
    counters.add('bootstrap.post.in');
    const text = normaliseQuery(original.text);
    if (text !== original.text) counters.add('bootstrap.post.normalised');
    const q: Query = { ...original, text };
    // Seeds are the user's own words: kept as given, but still the texts later queries are compared with.
    if (q.lineage.method === 'seed') {
      exact.set(`${q.domain}\u0000${exactKey(text)}`, q.id);
      if (config.near_duplicate_threshold < 1) nearIndex(q.domain).check(q.id, text);
      kept.push(q);
      counters.add('bootstrap.post.kept');
      continue;
    }
    if (text.length < config.min_chars) {
      drop('too_short', `shorter than postprocess.min_chars (${config.min_chars})`, q, { chars: text.length });
      continue;
    }
    if (text.length > config.max_chars) {
      drop('too_long', `longer than postprocess.max_chars (${config.max_chars})`, q, { chars: text.length });
      continue;
    }
    const blocked = blocklist?.exec(text);
    if (blocked) {
      drop('blocklist', 'contains a blocklisted term', q, { term: blocked[0] });
      continue;
    }
    if (languages.size > 0 && text.length >= config.language_min_chars) {
      const lang = identifyLanguage(text);
      if (lang.code !== 'und' && !languages.has(lang.code)) {
        drop('language', `language ${lang.code} not in postprocess.languages`, q, {
          lang: lang.code,
          score: lang.score,
        });
        continue;
      }
    }
    const key = `${q.domain}\u0000${exactKey(text)}`;
    const same = exact.get(key);
    if (same !== undefined) {
      drop('exact_duplicate', 'same words as an earlier query of the domain', q, { duplicate_of: same });
      continue;
    }
    if (config.near_duplicate_threshold < 1) {
      const hit = nearIndex(q.domain).check(q.id, text);
      if (hit) {
        drop(
          'near_duplicate',
          `word-shingle Jaccard ≥ postprocess.near_duplicate_threshold (${config.near_duplicate_threshold})`,
          q,
          {
            duplicate_of: hit.of,
            similarity: Number(hit.similarity.toFixed(3)),
          },
        );
        continue;
      }
    }
    exact.set(key, q.id);
    kept.push(q);
    counters.add('bootstrap.post.kept');
  }
  return { kept, removed };
}

/** Share of queries that near-duplicate an earlier one of their domain (a measure, nothing is removed). */
export function nearDuplicateRate(queries: Iterable<Query>, threshold: number, k: number): number {
  const near = new Map<string, NearDuplicateIndex>();
  let n = 0;
  let dups = 0;
  for (const q of queries) {
    n += 1;
    let index = near.get(q.domain);
    if (!index) near.set(q.domain, (index = new NearDuplicateIndex(threshold, k)));
    if (index.check(q.id, q.text)) dups += 1;
  }
  return n === 0 ? 0 : dups / n;
}
