import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic, sha256File } from '../../core/atomic.js';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, ShardWork, Step } from '../runner.js';
import { stepCounters } from '../runner.js';
import { codeVersion } from '../version.js';
import { portablePath, portablePaths } from '../portable-paths.js';
import { repoRoot } from '../../core/repo.js';
import type { Counters, Removal } from '../../core/types.js';
import { VersionedDataset } from '../../stages/write/dataset.js';
import type { FileEntry, InputFingerprint, Manifest } from '../../stages/write/manifest.js';
import { datasetCard } from '../../stages/write/card.js';
import { funnelWarnings } from '../../stages/filter/funnel-warnings.js';
import { completeObjectStoreCopies } from '../../stages/storage/copies.js';
import { confinedPath } from '../../stages/shared/confine.js';
import type { LoadedConfig } from '../config.js';
import { assertLeaseHeld } from '../lock.js';
import type { Logger } from '../../core/types.js';
import { publishedRecord } from '../../stages/write/record-schema.js';
import { readReportStats, reportFileEntries, writeReport } from '../../stages/report/index.js';
import { BOOTSTRAP, ensureQueriesFile } from './bootstrap.js';
import type { RunContext } from './context.js';
import { REMOVED_SIDECAR, shardDocs, type DocStep } from './doc-steps.js';
import { INDEX } from './index-step.js';
import { STREAM_SCORE } from './stream-retrieve.js';
import { INGEST } from './ingest.js';
import { RETRIEVE } from './retrieve-step.js';
import { DEDUP } from './dedup.js';
import { RELEVANCE } from './relevance.js';
import type { RelevanceSummary } from '../../stages/relevance/model-file.js';
import { inputKey, LEDGER_DIR, LEDGER_INPUTS, type LedgerEntry } from '../lineage.js';
import { MODEL_ANSWERS_FILE, recordedAnswers } from '../../stages/bootstrap/index.js';
import { modelAnswersDir } from './provider.js';

export const PUBLISH = 'publish';
/** The dedup step's side output: the keys of the documents it keeps, for later versions to check against. */
const LEDGER_KEYS_SIDECAR = 'ledger_keys';

async function fileEntry(versionDir: string, path: string, records: number): Promise<FileEntry> {
  return { path: relative(versionDir, path), records, ...(await sha256File(path)) };
}

function sumWithPrefix(counters: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counters)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

const versionNumber = (v: string) => Number(v.slice(1));

/** The name LATEST holds, as written (null: no LATEST file). */
function latestAsWritten(datasetDir: string): string | null {
  const file = join(datasetDir, 'LATEST');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/**
 * What publishing `version` means beyond its folder, done again by a run that finds it published (a run
 * killed after the rename, or during the object-store copy): LATEST names the newest complete version, and
 * with `storage.publish_to` every version up to this one has a complete, marked object-store copy.
 */
export async function finishPublished(
  loaded: LoadedConfig,
  version: string,
  opts: { log: Logger; signal?: AbortSignal },
): Promise<void> {
  const { datasetDir, config } = loaded;
  const dataset = new VersionedDataset(datasetDir);
  const versions = dataset.versions();
  const newest = versions.at(-1);
  const named = latestAsWritten(datasetDir);
  if (newest && named !== newest) {
    assertLeaseHeld(datasetDir);
    await dataset.pointLatestAt(newest);
    opts.log.warn(
      `${join(datasetDir, 'LATEST')} named ${named ? named : '(nothing)'}, not the newest complete version ${newest} ` +
        `(a run stopped between publishing a version and moving LATEST); it now names ${newest}`,
    );
  }
  if (!config.storage.publish_to) return;
  assertLeaseHeld(datasetDir);
  const upTo = versions.filter(v => versionNumber(v) <= versionNumber(version));
  await completeObjectStoreCopies(datasetDir, upTo, config.storage.publish_to, {
    storage: config.storage,
    log: opts.log,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

const partName = (i: number, n: number) =>
  `part-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.jsonl.gz`;

/**
 * Gathers the last document step's shards into an immutable version: `data/<domain>/part-i-of-n.jsonl.gz`,
 * every step's removals under `removed/<rule>.jsonl.gz`, the queries, the manifest (with the funnel) and the
 * dataset card; built in a temporary folder and published by rename.
 */
export function publishStep(ctx: RunContext, docSteps: DocStep[], alsoAfter: string[] = []): Step<ShardSpec> {
  const { config, datasetDir, hash } = ctx.loaded;
  const runId = ctx.lineage.runId;
  const final = docSteps.at(-1)!;
  return {
    name: PUBLISH,
    after: [final.name, ...alsoAfter],
    barrier: true,
    listShards: async () => [{ id: 'publish' }],
    async runShard(_shard, work) {
      // Defence in depth (the config schema checks the name): the dataset folder is inside the output root.
      confinedPath(ctx.loaded.outDir, [config.dataset], 'dataset');
      const dataset = new VersionedDataset(datasetDir);
      const existing = dataset.findRun(runId);
      if (existing) {
        // A crash after publishing: finish LATEST and the object-store copy, publish nothing new.
        await finishPublished(ctx.loaded, existing, finishOpts(work));
        return { records: 0, meta: { version: existing, up_to_date: true } };
      }
      const built = await build(dataset, work.counters);
      await finishPublished(ctx.loaded, built.meta.version, finishOpts(work));
      return built;
    },
  };

  function finishOpts(work: ShardWork) {
    return { log: work.log, signal: work.signal };
  }

  /** `data/<domain>/`; a domain from the seeds that would lead outside `data/` (`../..`) is an error naming it. */
  function domainDir(versionDir: string, domain: string): string {
    return confinedPath(join(versionDir, 'data'), [domain], 'seed domain');
  }

  async function writeData(versionDir: string, counters: Counters) {
    const finalShards = await final.listShards();
    const perDomain = new Map<string, number>();
    for (const shard of finalShards) {
      for await (const doc of shardDocs(ctx, final.name, shard.id))
        perDomain.set(doc.domain!, (perDomain.get(doc.domain!) ?? 0) + 1);
    }
    const perPart = config.write.records_per_part;
    const open = new Map<string, { writer: JsonlWriter; part: number; parts: number }>();
    const shards: FileEntry[] = [];
    const domains: Manifest['domains'] = {};
    const closePart = async (domain: string) => {
      const current = open.get(domain)!;
      await current.writer.close();
      shards.push(await fileEntry(versionDir, current.writer.path, current.writer.records));
    };
    for (const shard of finalShards) {
      for await (const doc of shardDocs(ctx, final.name, shard.id)) {
        const domain = doc.domain!;
        let current = open.get(domain);
        if (current && current.writer.records >= perPart) {
          await closePart(domain);
          current = {
            writer: await JsonlWriter.open(
              join(domainDir(versionDir, domain), partName(current.part + 1, current.parts)),
            ),
            part: current.part + 1,
            parts: current.parts,
          };
          open.set(domain, current);
        }
        if (!current) {
          const parts = Math.ceil(perDomain.get(domain)! / perPart);
          current = {
            writer: await JsonlWriter.open(join(domainDir(versionDir, domain), partName(0, parts))),
            part: 0,
            parts,
          };
          open.set(domain, current);
        }
        await current.writer.write(publishedRecord(doc));
      }
    }
    for (const domain of open.keys()) await closePart(domain);
    shards.sort((a, b) => a.path.localeCompare(b.path));
    for (const domain of [...perDomain.keys()].sort()) {
      const mine = shards.filter(s => s.path.startsWith(join('data', domain) + '/'));
      domains[domain] = {
        records: mine.reduce((n, e) => n + e.records, 0),
        bytes: mine.reduce((n, e) => n + e.bytes, 0),
      };
      counters.add(`publish.kept.${domain}`, domains[domain]!.records);
    }
    return { shards, domains };
  }

  /** Every document step's removals, one file per rule, in step and shard order. */
  async function writeRemoved(versionDir: string): Promise<FileEntry[]> {
    if (!config.write.keep_removed) return [];
    const writers = new Map<string, JsonlWriter>();
    for (const step of docSteps) {
      for (const shard of await step.listShards()) {
        const sidecar = ctx.state.read(step.name, shard.id)?.sidecars?.[REMOVED_SIDECAR];
        if (!sidecar) continue;
        for await (const removal of readJsonl<Removal>(sidecar.path)) {
          const file = removal.rule.replace(/[^A-Za-z0-9._-]/g, '_');
          let writer = writers.get(file);
          if (!writer) {
            writer = await JsonlWriter.open(join(versionDir, 'removed', `${file}.jsonl.gz`));
            writers.set(file, writer);
          }
          await writer.write({ step: step.name, ...removal });
        }
      }
    }
    const entries: FileEntry[] = [];
    for (const writer of writers.values()) {
      await writer.close();
      entries.push(await fileEntry(versionDir, writer.path, writer.records));
    }
    return entries.sort((a, b) => a.path.localeCompare(b.path));
  }

  function funnel(counts: Manifest['counts']): Manifest['funnel'] {
    const ingest = counts[INGEST]!;
    const ingestOut = ingest['ingest.docs'] ?? 0;
    const skipped = sumWithPrefix(ingest, 'ingest.skipped.');
    // Stream mode has no index: the documents retrieval scored stand in for the indexed ones.
    const indexed = counts[INDEX]!['index.docs'] ?? counts[STREAM_SCORE]?.['stream_score.docs'] ?? 0;
    const retrieved = counts[docSteps[0]!.name]![`${docSteps[0]!.name}.docs`] ?? 0;
    const rows: Manifest['funnel'] = [
      {
        step: 'ingest',
        in: ingestOut + Object.values(skipped).reduce((a, b) => a + b, 0),
        out: ingestOut,
        removed: skipped,
      },
      { step: 'index', in: ingestOut, out: indexed, removed: { duplicate_id: ingestOut - indexed } },
      { step: 'retrieve', in: indexed, out: retrieved, removed: { not_retrieved: indexed - retrieved } },
    ];
    for (const step of docSteps.slice(1)) {
      const c = counts[step.name]!;
      rows.push({
        step: step.name,
        in: c[`${step.name}.in`] ?? 0,
        out: c[`${step.name}.out`] ?? 0,
        removed: sumWithPrefix(c, `${step.name}.removed.`),
      });
    }
    return rows;
  }

  /**
   * What later versions of the lineage need: the inputs consumed (so they are not read again) and the
   * dedup keys of the published documents (so their duplicates are not published again).
   */
  async function writeLedger(versionDir: string, version: string): Promise<FileEntry[]> {
    const entries: LedgerEntry[] = ctx.state.markers(INGEST).map(m => {
      const input = m.meta!.input as InputFingerprint & { key: string };
      return {
        key: input.key ?? inputKey(input.path),
        kind: m.meta!.kind as LedgerEntry['kind'],
        location: input.path,
        bytes: input.bytes,
        sha256: input.sha256,
        version,
      };
    });
    const inputsFile = join(versionDir, LEDGER_INPUTS);
    await mkdir(dirname(inputsFile), { recursive: true });
    await writeFileAtomic(inputsFile, entries.map(e => JSON.stringify(e) + '\n').join(''));
    const files = [await fileEntry(versionDir, inputsFile, entries.length)];
    const keys = ctx.state.read(DEDUP, 'all')?.sidecars?.[LEDGER_KEYS_SIDECAR];
    if (keys) {
      const dest = join(versionDir, LEDGER_DIR, 'dedup-keys.bin');
      await copyFile(keys.path, dest);
      files.push(await fileEntry(versionDir, dest, Number(ctx.state.read(DEDUP, 'all')?.meta?.ledger_docs ?? 0)));
    }
    return files;
  }

  async function build(dataset: VersionedDataset, counters: Counters) {
    const parent = ctx.lineage.parent;
    const { version, tempDir } = await dataset.beginVersion();
    try {
      return await buildIn(dataset, version, tempDir, parent, counters);
    } catch (err) {
      // Frees the space at once (a full disk) and leaves nothing half-built behind.
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  async function buildIn(
    dataset: VersionedDataset,
    version: string,
    tempDir: string,
    parent: string | null,
    counters: Counters,
  ) {
    const { shards, domains } = await writeData(tempDir, counters);
    const removed = await writeRemoved(tempDir);

    const queriesSrc = await ensureQueriesFile(ctx);
    const queriesWriter = await JsonlWriter.open(join(tempDir, 'queries.jsonl.gz'));
    for await (const q of readJsonl(queriesSrc)) await queriesWriter.write(q);
    await queriesWriter.close();
    const files = [await fileEntry(tempDir, queriesWriter.path, queriesWriter.records)];
    // Every model answer the run was served, so that `qcc run --replay <version>` reproduces it without the model.
    const answersWriter = await JsonlWriter.open(join(tempDir, MODEL_ANSWERS_FILE));
    for await (const answer of recordedAnswers(modelAnswersDir(ctx))) await answersWriter.write(answer);
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
      run_id: runId,
      config_hash: hash,
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
      funnel: funnel(counts),
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
    manifest.files.push(...(await writeLedger(tempDir, version)));
    const relevanceSummary = join(ctx.paths.work, RELEVANCE, 'model.json');
    if (existsSync(relevanceSummary)) {
      const { classifier: _weights, ...summary } = JSON.parse(
        readFileSync(relevanceSummary, 'utf8'),
      ) as RelevanceSummary;
      manifest.relevance = summary;
      const estimate = join(ctx.paths.work, RELEVANCE, 'estimate.json');
      if (existsSync(estimate)) manifest.relevance.estimate = JSON.parse(readFileSync(estimate, 'utf8'));
    }
    await writeReport(tempDir, manifest);
    manifest.files.push(...(await reportFileEntries(tempDir)));
    await writeFileAtomic(join(tempDir, 'README.md'), datasetCard(manifest, readReportStats(tempDir)));
    await writeFileAtomic(join(tempDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    // A run whose lease was taken over (paused past the TTL, `qcc unlock --force`) must not publish.
    assertLeaseHeld(datasetDir);
    await dataset.publish(tempDir, version);
    return { records: shards.reduce((n, s) => n + s.records, 0), meta: { version, parent } };
  }
}
