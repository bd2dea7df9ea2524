/**
 * Semantic evidence at the classifier's boundary (`relevance.semantic_boundary`, docs/relevance.md section 4): the
 * bag-of-words classifier is least sure of the documents nearest its decision, so those are judged by sentence
 * embeddings as the precision estimate judges (stages/relevance/semantic-judge.ts). Per domain, the `band` ×
 * accepted documents of lowest margin and as many rejected ones of highest margin (whose best domain it is) are
 * embedded. The bar is the domain's own: the `quantile` of its weak positives' standardised scores (those the
 * judge puts in the domain). A rejected document the judge puts in the domain at or over the bar is taken in; an
 * accepted one it puts elsewhere under the bar is taken out. Everything else keeps the classifier's decision.
 */
import type { Doc, Logger, Query } from '../../core/types.js';
import type { RelevanceConfig } from './config.js';
import { EmbedderUnavailableError } from './embed.js';
import { sampleTexts } from './estimate.js';
import type { Featurizer } from './features.js';
import { decideByMargins, type LoadedClassifier, scoringTableOf } from './model-file.js';
import { openSemanticJudge, queryTextsByDomain } from './semantic-judge.js';
import { unitHash } from './train.js';

/** A document whose classifier decision the semantic judge changed. */
export interface BoundaryDecision {
  id: string;
  /** The domain it now belongs to; null: taken out. */
  domain: string | null;
  /** The domain whose band it was examined in (the classifier's own when taken out). */
  examined_in: string;
  /** Its standardised semantic score for `examined_in`, and that domain's bar. */
  z: number;
  bar: number;
  /** The domain the judge put it nearest. */
  nearest: string | null;
  /** Its classifier margin over the threshold of `examined_in`. */
  excess: number;
}

export interface BoundaryDomainSummary {
  examined_accepted: number;
  examined_rejected: number;
  added: number;
  removed: number;
  bar: number | null;
  positives_used: number;
}

export interface BoundaryResult {
  decisions: BoundaryDecision[];
  /** Documents no query retrieved that the judge took in (for the recall round's finds). */
  addedDocs: Map<string, Doc>;
  domains: Record<string, BoundaryDomainSummary>;
  embedded: number;
  cache_hits: number;
}

export interface BoundaryInputs {
  config: RelevanceConfig;
  classifiers: LoadedClassifier[];
  featurizer: Featurizer;
  candidateDomain: Map<string, string>;
  preferOwn: boolean;
  /** Index documents each classifier accepts (the scan's counts). */
  accepted: Map<string, number>;
  positives: (domain: string) => Set<string>;
  queries: Map<string, Query>;
  scan: () => AsyncIterable<Doc>;
  /** The documents controls may be drawn from (a sampled scan: the random sample, not the added candidates). */
  controlPool?: (id: string) => boolean;
  embedCacheDir?: string;
  log: Logger;
  signal?: AbortSignal;
}

interface Held {
  id: string;
  excess: number;
  text: string;
  doc?: Doc;
}

/** Keeps the `n` entries that come first by `before` (ties by id), in that order. */
class Bounded {
  readonly items: Held[] = [];
  constructor(
    private readonly n: number,
    private readonly before: (a: Held, b: Held) => boolean,
  ) {}
  offer(h: Held): void {
    const { items, n } = this;
    if (n === 0 || (items.length === n && !this.before(h, items[n - 1]!))) return;
    let i = items.length;
    while (i > 0 && this.before(h, items[i - 1]!)) i--;
    items.splice(i, 0, h);
    if (items.length > n) items.pop();
  }
}

const lowerFirst = (a: Held, b: Held) => a.excess < b.excess || (a.excess === b.excess && a.id < b.id);
const higherFirst = (a: Held, b: Held) => a.excess > b.excess || (a.excess === b.excess && a.id < b.id);

/** The value at `q` of the sorted scores (index ⌊q·(n−1)⌋); null without scores. */
export function quantileOf(scores: number[], q: number): number | null {
  if (scores.length === 0) return null;
  const s = [...scores].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))]!;
}

export async function semanticBoundary(inp: BoundaryInputs): Promise<BoundaryResult | null> {
  const { config, log } = inp;
  const opts = config.semantic_boundary;
  const semantic = config.estimate.semantic;
  const domains = inp.classifiers.map(c => c.domain);
  const byDomain = queryTextsByDomain(inp.queries.values());
  if (byDomain.size < 2 || domains.length === 0) {
    log.warn('relevance: semantic_boundary needs two or more domains to compare; the classifier decides alone');
    return null;
  }
  const scoring = scoringTableOf(inp.classifiers);
  const trained = new Set(domains);
  const size = (d: string) => Math.min(opts.max_per_domain, Math.ceil(opts.band * (inp.accepted.get(d) ?? 0)));
  const inside = new Map(domains.map(d => [d, new Bounded(opts.take_out ? size(d) : 0, lowerFirst)]));
  const outside = new Map(domains.map(d => [d, new Bounded(size(d), higherFirst)]));
  // The bar's positives: the first `bar_positives` of each domain by a hash of the id.
  const wanted = new Map(
    domains.map(d => [
      d,
      new Set(
        [...inp.positives(d)]
          .map(id => ({ id, h: unitHash(id, `boundary/${d}`) }))
          .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
          .slice(0, opts.bar_positives)
          .map(x => x.id),
      ),
    ]),
  );
  const anyWanted = new Set([...wanted.values()].flatMap(p => [...p]));
  const positiveTexts = new Map<string, string>();
  const seen = new Set<string>();
  const examine = async function* () {
    for await (const doc of inp.scan()) {
      inp.signal?.throwIfAborted();
      if (!inp.controlPool || inp.controlPool(doc.id)) yield doc;
      if (seen.has(doc.id)) continue;
      seen.add(doc.id);
      if (anyWanted.has(doc.id)) positiveTexts.set(doc.id, doc.text);
      const own = inp.candidateDomain.get(doc.id);
      if (own !== undefined && !trained.has(own)) continue;
      const features = inp.featurizer.extract(doc.text);
      const margins = scoring.table.margins(features.indices, features.count, features.values);
      const v = decideByMargins(scoring, margins, own, inp.preferOwn);
      let best = 0;
      for (let k = 1; k < margins.length; k++)
        if (margins[k]! - scoring.thresholds[k]! > margins[best]! - scoring.thresholds[best]!) best = k;
      const domain = v.domain ?? scoring.table.domains[best]!;
      const k = scoring.table.domains.indexOf(domain);
      const held = { id: doc.id, excess: margins[k]! - scoring.thresholds[k]!, text: doc.text };
      if (v.domain) inside.get(domain)!.offer(held);
      else outside.get(domain)!.offer(own === undefined ? { ...held, doc } : held);
    }
  };
  const controls = await sampleTexts(examine(), semantic.controls, '', 'estimate-controls');

  const open = await openSemanticJudge(byDomain, controls, { ...semantic, cacheDir: inp.embedCacheDir }).catch(
    (err: unknown) => {
      if (!(err instanceof EmbedderUnavailableError)) throw err;
      log.warn(
        `relevance: semantic_boundary: ${err.message}; the classifier decides alone (\`npm run setup\` installs it)`,
      );
      return null;
    },
  );
  if (!open) return null;
  const { judge } = open;
  const result: BoundaryResult = { decisions: [], addedDocs: new Map(), domains: {}, embedded: 0, cache_hits: 0 };
  try {
    const total = domains.reduce((n, d) => n + inside.get(d)!.items.length + outside.get(d)!.items.length, 0);
    log.info(`relevance: semantic_boundary: judging ${total} documents at the classifiers' boundary`, { total });
    for (const d of [...domains].sort()) {
      const own: number[] = [];
      for (const id of [...wanted.get(d)!].sort()) {
        const text = positiveTexts.get(id);
        if (text === undefined) continue;
        const v = await judge.judge(d, text);
        if (v.nearest === d) own.push(v.z[d]!);
      }
      const bar = quantileOf(own, opts.quantile);
      const summary: BoundaryDomainSummary = {
        examined_accepted: inside.get(d)!.items.length,
        examined_rejected: outside.get(d)!.items.length,
        added: 0,
        removed: 0,
        bar: bar === null ? null : Number(bar.toFixed(3)),
        positives_used: own.length,
      };
      result.domains[d] = summary;
      if (bar === null) continue;
      const decision = (h: Held, z: number, nearest: string | null, to: string | null) => ({
        id: h.id,
        domain: to,
        examined_in: d,
        z: Number(z.toFixed(3)),
        bar: Number(bar.toFixed(3)),
        nearest,
        excess: Number(h.excess.toFixed(4)),
      });
      for (const h of inside.get(d)!.items) {
        const v = await judge.judge(d, h.text);
        if (v.nearest === d || v.z[d]! >= bar) continue;
        result.decisions.push(decision(h, v.z[d]!, v.nearest, null));
        summary.removed++;
      }
      for (const h of outside.get(d)!.items) {
        const v = await judge.judge(d, h.text);
        if (v.nearest !== d || v.z[d]! < bar) continue;
        result.decisions.push(decision(h, v.z[d]!, v.nearest, d));
        if (h.doc) result.addedDocs.set(h.id, h.doc);
        summary.added++;
      }
    }
    const stats = open.stats();
    result.embedded = stats.embedded;
    result.cache_hits = stats.hits;
  } finally {
    await open.close();
  }
  result.decisions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return result;
}
