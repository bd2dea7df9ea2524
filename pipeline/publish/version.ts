import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { writeFileAtomic, sha256File } from '../../core/atomic.js';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import { repoRoot } from '../../core/repo.js';
import type { Counters, Doc } from '../../core/types.js';
import { recordedAnswers } from '../../stages/bootstrap/index.js';
import { funnelWarnings } from '../../stages/filter/funnel-warnings.js';
import { writeData } from '../../stages/publish/data.js';
import { fileEntry } from '../../stages/publish/file-entry.js';
import { funnelOf } from '../../stages/publish/funnel.js';
import { type RemovalSource, writeRemoved } from '../../stages/publish/removed.js';
import type { RelevanceSummary } from '../../stages/relevance/model-file.js';
import { readReportStats, reportFileEntries, writeReport } from '../../stages/report/index.js';
import { datasetCard } from '../../stages/write/card.js';
import type { VersionedDataset } from '../../stages/write/dataset.js';
import type { InputFingerprint, Manifest } from '../../stages/write/manifest.js';
import { assertLeaseHeld } from '../lock.js';
import { versionPaths } from '../paths.js';
import { portablePath, portablePaths } from '../portable-paths.js';
import { stepCounters } from '../runner.js';
import { BOOTSTRAP, ensureQueriesFile } from '../steps/bootstrap.js';
import type { RunContext } from '../steps/context.js';
import { type DocStep, REMOVED_SIDECAR, shardDocs } from '../steps/doc-steps.js';
import { INDEX } from '../steps/index-step.js';
import { INGEST } from '../steps/ingest.js';
import { RETRIEVE } from '../steps/retrieve-step.js';
import { STREAM_SCORE } from '../steps/stream-retrieve.js';
import { codeVersion } from '../version.js';
import { writeLedger } from './ledger.js';

export const PUBLISH = 'publish';

/**
 * Builds the next version in a temporary folder and publishes it by rename: `data/<domain>/part-i-of-n.jsonl.gz`
 * from the last document step, every step's removals under `removed/<rule>.jsonl.gz`, the queries, the model
 * answers, the ledger, the manifest (with the funnel), the report and the dataset card.
 */
export async function buildVersion(
  ctx: RunContext,
  dataset: VersionedDataset,
  docSteps: DocStep[],
  counters: Counters,
): Promise<{ records: number; meta: { version: string; parent: string | null } }> {
  const { version, tempDir } = await dataset.beginVersion();
  try {
    return await buildIn(ctx, dataset, docSteps, version, tempDir, counters);
  } catch (err) {
    // Frees the space at once (a full disk) and leaves nothing half-built behind.
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

async function buildIn(
  ctx: RunContext,
  dataset: VersionedDataset,
  docSteps: DocStep[],
  version: string,
  tempDir: string,
  counters: Counters,
) {
  const { config, datasetDir } = ctx.loaded;
  const parent = ctx.lineage.parent;
  const v = versionPaths(tempDir);
  const final = docSteps.at(-1)!;
  const published = async function* (): AsyncIterable<Doc> {
    for (const shard of await final.listShards()) yield* shardDocs(ctx, final.name, shard.id);
  };
  const layout = { versionDir: tempDir, dataDir: v.data, part: v.part };
  const { shards, domains } = await writeData(published, layout, config.write.records_per_part, counters);
  const removalFiles = async function* (): AsyncIterable<RemovalSource> {
    for (const step of docSteps)
      for (const shard of await step.listShards()) {
        const sidecar = ctx.state.read(step.name, shard.id)?.sidecars?.[REMOVED_SIDECAR];
        if (sidecar) yield { step: step.name, file: sidecar.path };
      }
  };
  const removed = config.write.keep_removed ? await writeRemoved(removalFiles(), tempDir, v.removed) : [];

  const queriesSrc = await ensureQueriesFile(ctx);
  const queriesWriter = await JsonlWriter.open(v.queries);
  for await (const q of readJsonl(queriesSrc)) await queriesWriter.write(q);
  await queriesWriter.close();
  const files = [await fileEntry(tempDir, queriesWriter.path, queriesWriter.records)];
  // Every model answer the run was served, so that `qcc run --replay <version>` reproduces it without the model.
  const answersWriter = await JsonlWriter.open(v.modelAnswers);
  for await (const answer of recordedAnswers(ctx.paths.modelAnswers)) await answersWriter.write(answer);
  await answersWriter.close();
  files.push(await fileEntry(tempDir, answersWriter.path, answersWriter.records));

  const ingestMarkers = ctx.state.markers(INGEST);
  const inputsOf = (kind: string): InputFingerprint[] =>
    ingestMarkers.filter(m => m.meta?.kind === kind).map(m => m.meta!.input as InputFingerprint);
  const counts: Manifest['counts'] = {};
  const ordered = [BOOTSTRAP, INGEST, INDEX, RETRIEVE, ...docSteps.map(s => s.name)];
  for (const step of [...ordered, ...ctx.state.steps().filter(s => !ordered.includes(s) && s !== PUBLISH)])
    counts[step] = stepCounters(ctx.state, step);
  counts[PUBLISH] = counters.toJSON();
  // Stream mode has no index: the documents retrieval scored stand in for the indexed ones.
  const indexed = counts[INDEX]!['index.docs'] ?? counts[STREAM_SCORE]?.['stream_score.docs'] ?? 0;

  const roots = {
    out: ctx.loaded.outDir,
    cache: ctx.loaded.cacheDir,
    input_root: ctx.loaded.inputRoot,
    checkout: repoRoot(),
  };
  const manifest: Manifest = {
    dataset: config.dataset,
    version,
    parent,
    created: new Date().toISOString(),
    run_id: ctx.lineage.runId,
    config_hash: ctx.loaded.hash,
    code_version: codeVersion(),
    lineage: {
      id: ctx.lineage.id,
      base: ctx.lineage.base,
      versions: [...ctx.lineage.prior.map(p => p.version), version],
      inputs_total: ctx.lineage.inputs.length,
      inputs_new: ctx.lineage.fresh.length,
    },
    inputs: {
      ...(ctx.lineage.crawls.length ? { crawls: ctx.lineage.crawls } : {}),
      seeds: await Promise.all(
        config.seeds.files.map(async path => ({ path: portablePath(path, roots), ...(await sha256File(path)) })),
      ),
      archives: inputsOf('archive'),
      corpora: inputsOf('corpus'),
      queries: { count: queriesWriter.records, sha256: (await sha256File(queriesSrc)).sha256 },
    },
    counts,
    funnel: funnelOf(
      counts,
      counts[INGEST]!,
      indexed,
      docSteps.map(s => s.name),
    ),
    domains,
    shards,
    removed,
    files,
    ...(ctx.replay
      ? {
          replay: {
            version: ctx.replay.version,
            run_id: ctx.replay.run_id,
            model_answers_sha256: ctx.replay.sha256,
            answers: ctx.replay.byKey.size,
          },
        }
      : {}),
    config: portablePaths(config, roots),
  };
  const warnings = funnelWarnings(manifest.funnel);
  for (const w of warnings) ctx.log.warn(w.message, { code: w.code, step: w.step, rule: w.rule, ...w.values });
  if (warnings.length) manifest.warnings = warnings;
  manifest.files.push(...(await writeLedger(ctx, v, version)));
  const { summary: relevanceSummary, estimate } = ctx.paths.relevance;
  if (existsSync(relevanceSummary)) {
    const { classifier: _weights, ...summary } = JSON.parse(readFileSync(relevanceSummary, 'utf8')) as RelevanceSummary;
    manifest.relevance = summary;
    if (existsSync(estimate)) manifest.relevance.estimate = JSON.parse(readFileSync(estimate, 'utf8'));
  }
  await writeReport(tempDir, manifest);
  manifest.files.push(...(await reportFileEntries(tempDir)));
  await writeFileAtomic(v.card, datasetCard(manifest, readReportStats(tempDir)));
  await writeFileAtomic(v.manifest, JSON.stringify(manifest, null, 2) + '\n');
  // A run whose lease was taken over (paused past the TTL, `qcc unlock --force`) must not publish.
  assertLeaseHeld(datasetDir);
  await dataset.publish(tempDir, version);
  return { records: shards.reduce((n, s) => n + s.records, 0), meta: { version, parent } };
}
