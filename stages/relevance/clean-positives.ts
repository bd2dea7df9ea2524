/**
 * Weak positives checked by the semantic judge (`classifier.clean_positives: semantic`): a document that several
 * queries of a domain ranked high is still off-domain when it shares their words, not their topic. Each weak
 * positive is judged as the precision estimate judges (stages/relevance/semantic-judge.ts); one whose nearest
 * domain is another stops being a positive (it is left to EM).
 */
import type { Counters, Doc, Logger, Query } from '../../core/types.js';
import type { RelevanceConfig } from './config.js';
import { EmbedderUnavailableError } from './embed.js';
import { sampleTexts } from './estimate.js';
import type { DomainEvidence } from './train.js';
import { judgeSemantically, queryTextsByDomain } from './semantic-judge.js';

export interface CleanPositivesInputs {
  config: RelevanceConfig;
  evidence: Map<string, DomainEvidence>;
  queries: Map<string, Query>;
  scan: () => AsyncIterable<Doc>;
  /** The scan's documents controls may be (a sampled scan: the random sample, not the added candidates). */
  controlPool?: (id: string) => boolean;
  /** The vector cache (`<cache_dir>/embed`); none: every passage is embedded. */
  embedCacheDir?: string;
  log: Logger;
  counters: Counters;
}

/** Removes, in place, the weak positives the semantic judge puts in another domain; returns how many per domain. */
export async function cleanPositives(inp: CleanPositivesInputs): Promise<Record<string, number>> {
  const { evidence, log, counters } = inp;
  const semantic = inp.config.estimate.semantic;
  const byDomain = queryTextsByDomain(inp.queries.values());
  if (byDomain.size < 2) {
    log.warn('relevance: clean_positives needs two or more domains to compare; positives kept as they are');
    return {};
  }
  const wanted = new Set([...evidence.values()].flatMap(e => [...e.positives]));
  const texts = new Map<string, string>();
  // One pass over the index: the positives' texts, and the random controls the judge standardises by.
  const collecting = async function* () {
    for await (const doc of inp.scan()) {
      if (wanted.has(doc.id) && !texts.has(doc.id)) texts.set(doc.id, doc.text);
      if (!inp.controlPool || inp.controlPool(doc.id)) yield doc;
    }
  };
  const controls = await sampleTexts(collecting(), semantic.controls, '', 'estimate-controls');
  const samples = [...evidence]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([domain, e]) =>
      [...e.positives]
        .sort()
        .filter(id => texts.has(id))
        .map(id => ({ domain, id, text: texts.get(id)! })),
    );
  let verdicts: (boolean | null)[];
  try {
    ({ verdicts } = await judgeSemantically(samples, byDomain, controls, { ...semantic, cacheDir: inp.embedCacheDir }));
  } catch (err) {
    if (!(err instanceof EmbedderUnavailableError)) throw err;
    log.warn(`relevance: clean_positives: ${err.message}; positives kept as they are (\`npm run setup\` installs it)`);
    return {};
  }
  const removed: Record<string, number> = Object.fromEntries([...evidence.keys()].map(d => [d, 0]));
  samples.forEach((s, i) => {
    if (verdicts[i] !== false) return;
    evidence.get(s.domain)!.positives.delete(s.id);
    removed[s.domain]!++;
  });
  for (const [domain, n] of Object.entries(removed).sort(([a], [b]) => a.localeCompare(b))) {
    counters.add('relevance.positives.cleaned', n);
    log.info(`relevance: domain ${domain}: ${n} weak positives judged off-domain and left to EM`, {
      domain,
      kept: evidence.get(domain)!.positives.size,
    });
  }
  return removed;
}
