/** From BM25 candidates and judgements to judge samples, query yields, pruning and training evidence. */
import type { Query, RetrievalHit } from '../../core/types.js';
import type { RelevanceConfig } from './config.js';
import type { DomainEvidence } from './train.js';
import { unitHash } from './train.js';
import { queryYield, type QueryYield } from './yield.js';

export interface CandidateInfo {
  id: string;
  domain: string;
  hits: RetrievalHit[];
}

/** One (domain, document) pair to judge; judgements are shared by every query of the domain that hit it. */
export interface JudgePick {
  domain: string;
  doc_id: string;
}

export const judgeKey = (domain: string, docId: string) => `${domain}\u0000${docId}`;

/**
 * Up to `per_query` hits of each query, chosen by a hash of (query, document) so the sample is random yet
 * reproducible; queries are taken round-robin (in id order) until `max_judgements` pairs are chosen.
 */
export function pickJudgements(
  candidates: CandidateInfo[],
  queries: Map<string, Query>,
  judge: RelevanceConfig['judge'],
): JudgePick[] {
  const perQuery = new Map<string, string[]>();
  for (const c of candidates)
    for (const h of c.hits) perQuery.set(h.query_id, [...(perQuery.get(h.query_id) ?? []), c.id]);
  const lists = [...perQuery.entries()]
    .filter(([q]) => queries.has(q))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([q, docs]) => ({
      domain: queries.get(q)!.domain,
      docs: docs
        .sort((a, b) => unitHash(`${q}/${a}`, 'judge') - unitHash(`${q}/${b}`, 'judge'))
        .slice(0, judge.per_query),
    }));
  const picked: JudgePick[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < judge.per_query && picked.length < judge.max_judgements; i++) {
    for (const list of lists) {
      const id = list.docs[i];
      if (id === undefined) continue;
      const key = judgeKey(list.domain, id);
      if (seen.has(key)) continue;
      seen.add(key);
      picked.push({ domain: list.domain, doc_id: id });
      if (picked.length >= judge.max_judgements) break;
    }
  }
  return picked;
}

/** Each query's yield from the judgements of its hits (for its domain), and whether it is pruned. */
export function queryYields(
  candidates: CandidateInfo[],
  queries: Map<string, Query>,
  verdicts: Map<string, boolean | null>,
  rule: RelevanceConfig['yield'],
): QueryYield[] {
  const tally = new Map<string, { hits: number; judged: number; yes: number }>();
  for (const c of candidates) {
    for (const h of c.hits) {
      const q = queries.get(h.query_id);
      if (!q) continue;
      const t = tally.get(q.id) ?? { hits: 0, judged: 0, yes: 0 };
      t.hits++;
      const v = verdicts.get(judgeKey(q.domain, c.id));
      if (v !== undefined && v !== null) {
        t.judged++;
        if (v) t.yes++;
      }
      tally.set(q.id, t);
    }
  }
  return [...tally.entries()]
    .map(([id, t]) => {
      const q = queries.get(id)!;
      return queryYield({ query_id: id, domain: q.domain, text: q.text, hits: t.hits }, t.judged, t.yes, {
        floor: rule.floor,
        confidence: rule.confidence,
        minJudged: rule.min_judged,
      });
    })
    .sort(
      (a, b) =>
        a.domain.localeCompare(b.domain) || (b.yield ?? -1) - (a.yield ?? -1) || a.query_id.localeCompare(b.query_id),
    );
}

/**
 * How many readable judgements a domain has when every one of them says off-domain (its classifier is then
 * not trained); 0 when it has none or any says on-domain.
 */
export function judgedOffDomainOnly(domain: string, verdicts: Map<string, boolean | null>): number {
  const prefix = judgeKey(domain, '');
  let judged = 0;
  for (const [key, v] of verdicts) {
    if (v === null || !key.startsWith(prefix)) continue;
    if (v) return 0;
    judged++;
  }
  return judged;
}

/**
 * Training evidence per domain: judged on-domain documents, plus weak positives (ranked at or above
 * `positive_max_rank` by at least `positive_min_queries` kept queries of the domain, or at or above `positive_rank`
 * by one), minus
 * documents judged off-domain, which become negatives.
 */
export function domainEvidence(
  domains: string[],
  candidates: CandidateInfo[],
  queries: Map<string, Query>,
  pruned: Set<string>,
  verdicts: Map<string, boolean | null>,
  classifier: RelevanceConfig['classifier'],
): Map<string, DomainEvidence> {
  const evidence = new Map(domains.map(d => [d, { positives: new Set<string>(), negatives: new Set<string>() }]));
  for (const [key, v] of verdicts) {
    if (v === null) continue;
    const [domain, id] = key.split('\u0000') as [string, string];
    const e = evidence.get(domain);
    if (e) (v ? e.positives : e.negatives).add(id);
  }
  for (const c of candidates) {
    const e = evidence.get(c.domain);
    if (!e) continue;
    const kept = c.hits.filter(h => !pruned.has(h.query_id) && queries.get(h.query_id)?.domain === c.domain);
    if (kept.length === 0) continue;
    const best = Math.min(...kept.map(h => h.rank));
    const strong = kept.filter(h => h.rank <= classifier.positive_max_rank).length;
    if ((strong >= classifier.positive_min_queries || best <= classifier.positive_rank) && !e.negatives.has(c.id))
      e.positives.add(c.id);
  }
  return evidence;
}

/**
 * Control pairs for checking the judge: per domain, `perDomain` index documents that are not among the domain's
 * candidates, chosen by a hash (mostly off-domain for any one domain, whatever the corpus).
 */
export function pickControls(
  indexIds: string[],
  candidates: CandidateInfo[],
  domains: string[],
  perDomain: number,
): JudgePick[] {
  if (perDomain <= 0) return [];
  const retrieved = new Set(candidates.map(c => judgeKey(c.domain, c.id)));
  const picks: JudgePick[] = [];
  for (const domain of domains) {
    const pool = indexIds
      .filter(id => !retrieved.has(judgeKey(domain, id)))
      .map(id => ({ id, h: unitHash(`${domain}/${id}`, 'control') }))
      .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1));
    for (const { id } of pool.slice(0, perDomain)) picks.push({ domain, doc_id: id });
  }
  return picks;
}
