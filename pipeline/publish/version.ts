import { rm } from 'node:fs/promises';
import { writeFileAtomic, sha256File } from '../../core/atomic.js';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { Counters, Doc } from '../../core/types.js';
import { recordedAnswers } from '../../stages/bootstrap/index.js';
import { writeData } from '../../stages/publish/data.js';
import { fileEntry } from '../../stages/publish/file-entry.js';
import { type RemovalSource, writeRemoved } from '../../stages/publish/removed.js';
import { readReportStats, reportFileEntries, writeReport } from '../../stages/report/index.js';
import { datasetCard } from '../../stages/write/card.js';
import type { VersionedDataset } from '../../stages/write/dataset.js';
import { assertLeaseHeld } from '../lock.js';
import { versionPaths } from '../paths.js';
import { finalQueriesFile } from '../steps/bootstrap-finalise.js';
import type { RunContext } from '../steps/context.js';
import { type DocStep, REMOVED_SIDECAR, shardDocs } from '../steps/doc-steps.js';
import { writeLedger } from './ledger.js';
import { manifestOf } from './manifest.js';

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

  const queriesSrc = finalQueriesFile(ctx);
  const queriesWriter = await JsonlWriter.open(v.queries);
  for await (const q of readJsonl(queriesSrc)) await queriesWriter.write(q);
  await queriesWriter.close();
  const files = [await fileEntry(tempDir, queriesWriter.path, queriesWriter.records)];
  // Every model answer the run was served, so that `qcc run --replay <version>` reproduces it without the model.
  const answersWriter = await JsonlWriter.open(v.modelAnswers);
  for await (const answer of recordedAnswers(ctx.paths.modelAnswers)) await answersWriter.write(answer);
  await answersWriter.close();
  files.push(await fileEntry(tempDir, answersWriter.path, answersWriter.records));

  const queries = { count: queriesWriter.records, sha256: (await sha256File(queriesSrc)).sha256 };
  const manifest = await manifestOf(ctx, docSteps, version, { shards, domains, removed, files, queries }, counters);
  manifest.files.push(...(await writeLedger(ctx, v, version)));
  await writeReport(tempDir, manifest);
  manifest.files.push(...(await reportFileEntries(tempDir)));
  await writeFileAtomic(v.card, datasetCard(manifest, readReportStats(tempDir)));
  await writeFileAtomic(v.manifest, JSON.stringify(manifest, null, 2) + '\n');
  // A run whose lease was taken over (paused past the TTL, `qcc unlock --force`) must not publish.
  assertLeaseHeld(datasetDir);
  await dataset.publish(tempDir, version);
  return { records: shards.reduce((n, s) => n + s.records, 0), meta: { version, parent } };
}
