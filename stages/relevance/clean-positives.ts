/**
 * Weak positives checked by the semantic judge (`classifier.clean_positives: semantic`): a document that several
 * queries of a domain ranked high is still off-domain when it shares their words, not their topic. Each weak
 * positive is judged as the precision estimate judges (stages/relevance/semantic-judge.ts); one whose nearest
 * domain is another stops being a positive (it is left to EM).
 */
import type { Counters, Doc, Logger, Query } from '../../core/types.js';
import type { RelevanceConfig } from './config.js';
import { cachedEmbedder } from './embed-cache.js';
import { EmbedderUnavailableError, openEmbedder } from './embed.js';
import { sampleTexts } from './estimate.js';
import type { DomainEvidence } from './train.js';
import { buildSemanticJudge } from './semantic-judge.js';

export interface CleanPositivesInputs {
  config: RelevanceConfig;
  evidence: Map<string, DomainEvidence>;
  queries: Map<string, Query>;
  scan: () => AsyncIterable<Doc>;
  /** The vector cache (`<cache_dir>/embed`); none: every passage is embedded. */
  embedCacheDir?: string;
  log: Logger;
  counters: Counters;
}

/** Removes, in place, the weak positives the semantic judge puts in another domain; returns how many per domain. */
export async function cleanPositives(inp: CleanPositivesInputs): Promise<Record<string, number>> {
  const { evidence, log, counters } = inp;
  const semantic = inp.config.estimate.semantic;
  const byDomain = new Map<string, string[]>();
  for (const q of inp.queries.values()) byDomain.set(q.domain, [...(byDomain.get(q.domain) ?? []), q.text]);
  if (byDomain.size < 2) {
    log.warn('relevance: clean_positives needs two or more domains to compare; positives kept as they are');
    return {};
  }
  const wanted = new Set([...evidence.values()].flatMap(e => [...e.positives]));
  const texts = new Map<string, string>();
  for await (const doc of inp.scan()) if (wanted.has(doc.id) && !texts.has(doc.id)) texts.set(doc.id, doc.text);
  const controls = await sampleTexts(inp.scan(), semantic.controls, '', 'estimate-controls');
  let model;
  try {
    model = await openEmbedder({ threads: 1 });
  } catch (err) {
    if (!(err instanceof EmbedderUnavailableError)) throw err;
    log.warn(`relevance: clean_positives: ${err.message}; positives kept as they are (\`npm run setup\` installs it)`);
    return {};
  }
  const embedder = inp.embedCacheDir ? cachedEmbedder(model, inp.embedCacheDir) : model;
  const removed: Record<string, number> = {};
  try {
    const judge = await buildSemanticJudge(embedder, byDomain, controls, semantic);
    for (const [domain, e] of [...evidence].sort(([a], [b]) => a.localeCompare(b))) {
      let n = 0;
      for (const id of [...e.positives].sort()) {
        const text = texts.get(id);
        if (text === undefined) continue;
        if ((await judge.judge(domain, text)).on_domain === false) {
          e.positives.delete(id);
          n++;
        }
      }
      removed[domain] = n;
      counters.add('relevance.positives.cleaned', n);
      log.info(`relevance: domain ${domain}: ${n} weak positives judged off-domain and left to EM`, {
        domain,
        kept: e.positives.size,
      });
    }
  } finally {
    await embedder.close();
  }
  return removed;
}
