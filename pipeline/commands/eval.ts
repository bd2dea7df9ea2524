/**
 * `qcc eval domain`: precision and recall of a published version against a labelled corpus, per domain and
 * per stage of the funnel. Labels are read here only; the pipeline never sees them.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Command } from 'commander';
import { sha256File } from '../../core/atomic.js';
import { readJsonl } from '../../core/jsonl.js';
import type { Doc, DocRelevance, Removal } from '../../core/types.js';
import { loadVersion } from '../../stages/report/diff.js';
import { resolveVersionDir } from './report.js';

export interface StageScore {
  stage: string;
  docs: number;
  labelled: number;
  correct: number;
  precision: number | null;
  recall: number;
}

export interface DomainScore {
  domain: string;
  label: string;
  /** Documents in the labels file with this label. */
  total: number;
  stages: StageScore[];
}

/** id → label from a JSONL file (optionally gzip); every record must have both fields. */
export async function readLabels(file: string, field: string, idField: string): Promise<Map<string, string>> {
  if (!existsSync(file)) throw new Error(`labels file not found: ${file}`);
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const labels = new Map<string, string>();
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${file}: line ${line}: invalid JSON (${(err as Error).message})`);
    }
    const label = pick(record, field);
    if (label === undefined || label === null)
      throw new Error(`${file}: line ${line} has no field "${field}" (--field)`);
    const id = pick(record, idField);
    if (id === undefined || id === null)
      throw new Error(`${file}: line ${line} has no id field "${idField}" (--id-field)`);
    labels.set(String(id), String(label));
  }
  if (labels.size === 0) throw new Error(`${file}: no records`);
  return labels;
}

function pick(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const key of path.split('.'))
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** `medicine=sci.med` → ['medicine', 'sci.med']. */
export function parsePositive(spec: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1)
    throw new Error(`--positive ${spec}: expected <domain>=<label>, e.g. medicine=sci.med`);
  return [spec.slice(0, i), spec.slice(i + 1)];
}

interface VersionDoc {
  domain: string;
  /** The domain retrieval gave it (before the classifiers moved it). */
  retrievedDomain: string;
  key: string;
  foundBy: DocRelevance['found_by'];
  /** Removal rule, or undefined if published. */
  rule?: string;
}

const labelKey = (doc: Doc) => (doc.source.kind === 'corpus' ? doc.source.original_id : doc.id);

async function versionDocs(dir: string): Promise<{ docs: VersionDoc[]; relevance: boolean }> {
  const { manifest } = loadVersion(dir);
  const docs: VersionDoc[] = [];
  const add = (doc: Doc, rule?: string) => {
    const domain = doc.domain ?? '(none)';
    docs.push({
      domain,
      retrievedDomain: doc.relevance?.from_domain ?? domain,
      key: labelKey(doc),
      foundBy: doc.relevance?.found_by ?? 'bm25',
      rule,
    });
  };
  for (const shard of manifest.shards) for await (const doc of readJsonl<Doc>(join(dir, shard.path))) add(doc);
  for (const entry of manifest.removed)
    for await (const r of readJsonl<Removal<Doc>>(join(dir, entry.path)))
      if (r.record && typeof r.record === 'object' && 'source' in r.record) add(r.record, r.rule);
  return { docs, relevance: 'relevance' in manifest.counts || 'relevance_model' in manifest.counts };
}

/** The funnel stages, each a filter over the version's documents (published plus removed). */
function stagesOf(
  relevance: boolean,
): { stage: string; has: (d: VersionDoc) => boolean; domainOf: (d: VersionDoc) => string }[] {
  const retrieved = (d: VersionDoc) => d.foundBy === 'bm25';
  const pruned = (d: VersionDoc) => d.rule === 'relevance.pruned_query';
  const relevanceRemoved = (d: VersionDoc) => d.rule?.startsWith('relevance.') === true;
  const stages = [{ stage: 'retrieved', has: retrieved, domainOf: (d: VersionDoc) => d.retrievedDomain }];
  if (relevance) {
    stages.push({ stage: 'judged+pruned', has: d => retrieved(d) && !pruned(d), domainOf: d => d.retrievedDomain });
    stages.push({ stage: 'classifier', has: d => !relevanceRemoved(d), domainOf: d => d.domain });
  }
  stages.push({ stage: 'published', has: d => d.rule === undefined, domainOf: d => d.domain });
  return stages;
}

export async function evaluateDomains(
  versionDir: string,
  labels: Map<string, string>,
  positives: [string, string][],
  labelsFile = 'labels',
): Promise<DomainScore[]> {
  const known = new Set(labels.values());
  for (const [, label] of positives) {
    if (!known.has(label))
      throw new Error(
        `label "${label}" does not occur in ${labelsFile} (labels there: ${[...known].sort().join(', ')})`,
      );
  }
  const { docs, relevance } = await versionDocs(versionDir);
  const domains = new Set(docs.map(d => d.domain));
  for (const [domain] of positives) {
    if (!domains.has(domain))
      throw new Error(
        `domain "${domain}" has no documents in ${versionDir} (domains there: ${[...domains].sort().join(', ') || 'none'})`,
      );
  }
  const totals = new Map<string, number>();
  for (const l of labels.values()) totals.set(l, (totals.get(l) ?? 0) + 1);
  return positives.map(([domain, label]) => {
    const total = totals.get(label)!;
    const stages = stagesOf(relevance).map(({ stage, has, domainOf }) => {
      const mine = docs.filter(d => has(d) && domainOf(d) === domain);
      const labelled = mine.filter(d => labels.has(d.key));
      const correct = new Set(labelled.filter(d => labels.get(d.key) === label).map(d => d.key)).size;
      return {
        stage,
        docs: mine.length,
        labelled: labelled.length,
        correct,
        precision: labelled.length ? Number((correct / labelled.length).toFixed(4)) : null,
        recall: Number((correct / total).toFixed(4)),
      };
    });
    return { domain, label, total, stages };
  });
}

export function formatScores(scores: DomainScore[]): string {
  const rows = [['domain', 'label', 'stage', 'docs', 'labelled', 'correct', 'precision', 'recall']];
  for (const s of scores) {
    for (const st of s.stages)
      rows.push([
        s.domain,
        s.label,
        st.stage,
        String(st.docs),
        String(st.labelled),
        String(st.correct),
        st.precision === null ? '-' : st.precision.toFixed(3),
        st.recall.toFixed(3),
      ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)));
  return rows.map(r => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** LLM judging cost from the manifest counters: calls and tokens per 1,000 documents the relevance step kept. */
function judgeCost(versionDir: string): string | undefined {
  const { manifest } = loadVersion(versionDir);
  const judge = manifest.counts.relevance;
  const kept = judge?.['relevance.out'];
  if (!judge || !kept) return undefined;
  const per1k = (n: number) => ((n / kept) * 1000).toFixed(1);
  const calls = judge['relevance.judge.llm_calls'] ?? 0;
  const cached = judge['relevance.judge.llm_cache_hits'] ?? 0;
  const tokens = (judge['relevance.judge.prompt_tokens'] ?? 0) + (judge['relevance.judge.completion_tokens'] ?? 0);
  const est = manifest.counts.relevance_estimate ?? {};
  const passages =
    (est['relevance_estimate.judge.embedded_passages'] ?? 0) + (est['relevance_estimate.judge.embed_cache_hits'] ?? 0);
  const estimate = passages
    ? `; precision estimate: ${passages} passages (${est['relevance_estimate.judge.embed_cache_hits'] ?? 0} from the cache), ${per1k(passages)} per 1,000 kept`
    : '';
  const boundaryPassages =
    (judge['relevance.semantic_boundary.embedded'] ?? 0) + (judge['relevance.semantic_boundary.embed_cache_hits'] ?? 0);
  const boundary = boundaryPassages
    ? `; semantic boundary: ${boundaryPassages} passages (${judge['relevance.semantic_boundary.embed_cache_hits'] ?? 0} from the cache), ${per1k(boundaryPassages)} per 1,000 kept`
    : '';
  return `judging: ${judge['relevance.judge.pairs'] ?? 0} judgements (${calls} model calls in this run, ${cached} from the cache; ${tokens} tokens) for ${kept} kept documents: ${per1k(calls + cached)} calls and ${per1k(tokens)} tokens per 1,000 kept${boundary}${estimate}`;
}

export function registerEvalCommands(program: Command): void {
  const evalCmd = program.command('eval').description('measure a published version against labelled data');
  evalCmd
    .command('domain')
    .description('precision and recall per domain and per funnel stage against a labelled JSONL corpus')
    .argument('[version]', 'version folder, or a name (v0001, LATEST) with --config/--dataset (same as --version)')
    .requiredOption(
      '--labels <file>',
      'JSONL (or .jsonl.gz) with an id and a label per record, e.g. 20news-bydate-train.jsonl.gz',
    )
    .requiredOption('--field <name>', 'the label field (dots for nested fields)')
    .requiredOption(
      '--positive <domain=label...>',
      'which label is on-domain for a domain, e.g. medicine=sci.med (repeatable)',
    )
    .option('--id-field <name>', "the record id field, matched against a corpus document's original id", 'id')
    // `--version` reaches this command only when the program parses options positionally (cli.ts); the
    // positional argument always works.
    .option('--version <name>', 'version folder, or a name (v0001, LATEST) with --config/--dataset (default LATEST)')
    .option('--config <yaml>', 'run config: the version is looked up in its dataset folder')
    .option('--dataset <dir>', 'dataset folder holding the versions')
    .option('--out <dir>', 'output root (overrides the config)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        version: string | undefined,
        opts: {
          labels: string;
          field: string;
          positive: string[];
          idField: string;
          version?: string;
          config?: string;
          dataset?: string;
          out?: string;
          json?: boolean;
        },
      ) => {
        // The config module loads every stage's schema: imported only when --config is given (keeps `qcc --help` fast).
        const datasetDir =
          opts.dataset ??
          (opts.config
            ? (await import('../config.js')).loadConfig(opts.config, { out: opts.out }).datasetDir
            : undefined);
        const dir = resolveVersionDir(version ?? opts.version ?? 'LATEST', datasetDir);
        const positives = opts.positive.map(parsePositive);
        const labels = await readLabels(opts.labels, opts.field, opts.idField);
        const { manifest } = loadVersion(dir);
        const { sha256 } = await sha256File(opts.labels);
        if (!manifest.inputs.corpora.some(c => c.sha256 === sha256)) {
          process.stderr.write(
            `eval: note: ${opts.labels} is not one of this version's input corpora; documents are matched by id\n`,
          );
        }
        const scores = await evaluateDomains(dir, labels, positives, opts.labels);
        if (opts.json) {
          console.log(
            JSON.stringify({ version: dir, labels: opts.labels, field: opts.field, domains: scores }, null, 1),
          );
          return;
        }
        console.log(`${dir} against ${opts.labels} (field ${opts.field})`);
        console.log(formatScores(scores));
        const cost = judgeCost(dir);
        if (cost) console.log(cost);
      },
    );
}
