// Shared by the offline relevance benches (relevance-quality.mjs, relevance-holdout.mjs): load a finished run's
// work folder once (ingested documents, BM25 candidates, queries, judgements) with the labels of any labelled
// corpus (`--labels <file> --field <name> --positive domain=label`, as `qcc eval domain`), and train + apply the
// domain classifiers from it the way pipeline/steps/relevance.ts does. Labels are read here only to measure; the
// training below never sees them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readAllJsonl, readJsonl } from '../../core/jsonl.js';
import { loadConfig } from '../../pipeline/config.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { domainEvidence, judgedOffDomainOnly, judgeKey, queryYields } from '../../stages/relevance/evidence.js';
import { trainClassifiers, featurizerOf } from '../../stages/relevance/train.js';
import { trainNaiveBayes } from '../../stages/relevance/train-nb.js';
import { scoringTableOf, decide } from '../../stages/relevance/model-file.js';
import { silentLogger } from '../../core/types.js';
import { parsePositive, readLabels } from '../../pipeline/commands/eval.js';

const shared = process.env.QCC_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname;
/**
 * Without label flags the benches measure the run of config/relevance-20news.yaml: the 20 Newsgroups training posts
 * with the demo seeds' domains. Any other corpus: --labels, --field and --positive, all three.
 */
export const DEFAULT_LABELS = join(shared, 'corpora', '20news-bydate-train.jsonl.gz');
export const DEFAULT_POSITIVE = {
  medicine: 'sci.med',
  space: 'sci.space',
  electronics: 'sci.electronics',
  cryptography: 'sci.crypt',
};
export const DEFAULT_CONFIG = new URL('../../config/relevance-20news.yaml', import.meta.url).pathname;

/** `--name value` from argv, or the default. */
export function argOf(args, name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
}

/** Every value of a repeatable `--name value`. */
export function argsOf(args, name) {
  return args.flatMap((a, i) => (a === `--${name}` && i + 1 < args.length ? [args[i + 1]] : []));
}

/**
 * The labels to measure with, as `qcc eval domain` takes them: `--labels <file> --field <name> --positive
 * domain=label ...` [`--id-field id`]. No flags: the 20 Newsgroups defaults above. Returns {file, field, idField,
 * positive: {domain: label}}.
 */
export function labelSpecOf(args) {
  const file = argOf(args, 'labels');
  const field = argOf(args, 'field');
  const positives = argsOf(args, 'positive');
  const idField = argOf(args, 'id-field', 'id');
  if (file === undefined && field === undefined && positives.length === 0)
    return { file: DEFAULT_LABELS, field: 'label', idField, positive: { ...DEFAULT_POSITIVE } };
  if (!file || !field || positives.length === 0)
    throw new Error(
      'give --labels <file>, --field <name> and --positive <domain=label> (repeatable) together, or none of them for the 20 Newsgroups defaults',
    );
  return { file, field, idField, positive: Object.fromEntries(positives.map(parsePositive)) };
}

/** Checks that every --positive label occurs in the labels and every domain in the run. */
export function checkPositive(spec, loaded) {
  const known = new Set(loaded.labels.values());
  for (const [domain, label] of Object.entries(spec.positive)) {
    if (!known.has(label))
      throw new Error(
        `label "${label}" does not occur in ${spec.file} (labels there: ${[...known].sort().join(', ')})`,
      );
    if (!loaded.domains.includes(domain))
      throw new Error(`domain "${domain}" is not a domain of this run (domains: ${loaded.domains.join(', ')})`);
  }
}

/** The run config's `relevance:` slice, parsed with its defaults, with `classifier` keys overridden. */
export async function relevanceConfigOf(configFile, classifierOverrides = {}) {
  const loaded = await loadConfig(configFile);
  return withClassifier(relevanceConfigSchema.parse(loaded.config.relevance ?? {}), classifierOverrides);
}

/** A parsed relevance config with some `classifier` keys replaced (validated by the stage's schema). */
export function withClassifier(config, overrides) {
  return relevanceConfigSchema.parse({ ...config, classifier: { ...config.classifier, ...overrides } });
}

/**
 * Everything the relevance model step reads, plus labels: `docs` (ingested, in file order), `labelOf` (doc id →
 * label), `originalId` (doc id → the corpus record's id), `queries`, `candidates` ({id, domain, hits}),
 * `verdicts` (judgeKey → on_domain), `domains` (sorted, from the queries, as the pipeline takes them). `spec` is
 * labelSpecOf's (the labels file, its label and id fields); its --positive pairs are checked against the run.
 */
export async function loadWork(work, spec = labelSpecOf([])) {
  const labels = await readLabels(spec.file, spec.field, spec.idField);
  const docs = [];
  for (const f of readdirSync(join(work, 'docs')).sort())
    for await (const d of readJsonl(join(work, 'docs', f))) docs.push(d);
  const originalId = new Map(docs.map(d => [d.id, d.source?.original_id]));
  const labelOf = new Map(docs.map(d => [d.id, labels.get(d.source?.original_id)]));
  const queries = new Map((await readAllJsonl(join(work, 'queries.jsonl'))).map(q => [q.id, q]));
  const candidates = [];
  for (const f of readdirSync(join(work, 'candidates'))
    .filter(f => f.endsWith('.jsonl.gz') && !f.includes('removed'))
    .sort()) {
    for await (const d of readJsonl(join(work, 'candidates', f)))
      candidates.push({ id: d.id, domain: d.domain, hits: d.retrieval?.hits ?? [] });
  }
  const verdicts = new Map();
  try {
    for await (const j of readJsonl(join(work, 'relevance', 'judgements.jsonl.gz')))
      verdicts.set(judgeKey(j.domain, j.doc_id), j.on_domain);
  } catch {
    console.warn(`${work}: no relevance/judgements.jsonl.gz: weak labels only`);
  }
  const domains = [...new Set([...queries.values()].map(q => q.domain))].sort();
  const loaded = {
    docs,
    labels,
    labelOf,
    originalId,
    queries,
    candidates,
    verdicts,
    domains,
    candidateDomain: new Map(candidates.map(c => [c.id, c.domain])),
  };
  checkPositive(spec, loaded);
  return loaded;
}

/**
 * The model step's evidence: queries pruned by their judged yield, domains whose judgements are all off-domain
 * skipped, weak positives and judged negatives per domain. Returns the domains that get a classifier.
 */
export function pipelineEvidence(loaded, config) {
  const { domains, candidates, queries, verdicts } = loaded;
  const pruned = new Set(
    queryYields(candidates, queries, verdicts, config.yield)
      .filter(y => y.pruned)
      .map(y => y.query_id),
  );
  const trainable = domains.filter(d => judgedOffDomainOnly(d, verdicts) === 0);
  const evidence = domainEvidence(trainable, candidates, queries, pruned, verdicts, config.classifier);
  return { pruned, evidence, trained: trainable.filter(d => evidence.get(d).positives.size > 0) };
}

/** Trains the classifiers on the whole index, as the pipeline does (`classifier.method` picks the trainer). */
export async function trainDomains(loaded, config, ev = pipelineEvidence(loaded, config)) {
  const train = config.classifier.method === 'nb_em' ? trainNaiveBayes : trainClassifiers;
  const trained = await train({
    domains: ev.trained,
    evidence: ev.evidence,
    candidateDomain: loaded.candidateDomain,
    scan: async function* () {
      yield* loaded.docs;
    },
    indexSize: loaded.docs.length,
    config: config.classifier,
    log: silentLogger,
  });
  const ordered = [...trained.values()].sort((a, b) => a.domain.localeCompare(b.domain));
  return {
    trained,
    ordered,
    scoring: scoringTableOf(
      ordered
        .filter(c => Number.isFinite(c.threshold))
        .map(c => ({ domain: c.domain, model: c.model, threshold: c.threshold })),
    ),
  };
}

/**
 * The documents the classifiers accept over the whole index, per domain (candidates and recall-round finds alike:
 * the relevance step's output). `features(i)` may supply document i's cached features; `onMargins(doc, margins)`
 * sees every document's raw margins per classifier (in `ordered` order).
 */
export function acceptedOverIndex(loaded, config, model, { features, onMargins } = {}) {
  const accepted = new Map(loaded.domains.map(d => [d, []]));
  if (model.ordered.length === 0) return accepted;
  const featurizer = featurizerOf(config.classifier);
  const preferOwn = config.classifier.method !== 'nb_em';
  loaded.docs.forEach((doc, i) => {
    const f = features ? features(i) : featurizer.extract(doc.text);
    const v = decide(model.scoring, f, loaded.candidateDomain.get(doc.id), preferOwn);
    if (v.domain) accepted.get(v.domain).push(doc.id);
    if (onMargins) onMargins(doc, model.scoring.table.margins(f.indices, f.count));
  });
  return accepted;
}
