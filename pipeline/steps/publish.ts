import { join, relative } from 'node:path';
import { writeFileAtomic, sha256File } from '../atomic.js';
import { JsonlWriter, readJsonl } from '../jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import { stepCounters } from '../runner.js';
import { codeVersion } from '../version.js';
import type { Counters, Doc } from '../types.js';
import { Fts5Index } from '../../stages/index/fts5.js';
import { aggregateHits, type Candidate } from '../../stages/retrieve/aggregate.js';
import type { HitRow } from '../../stages/retrieve/retrieve.js';
import { exactDuplicates } from '../../stages/dedup/exact.js';
import { VersionedDataset } from '../../stages/write/dataset.js';
import type { FileEntry, InputFingerprint, Manifest } from '../../stages/write/manifest.js';
import { datasetCard } from '../../stages/write/card.js';
import { BOOTSTRAP, ensureQueriesFile } from './bootstrap.js';
import { INDEX } from './index-step.js';
import { INGEST } from './ingest.js';
import { RETRIEVE } from './retrieve-step.js';
import { chunk, type RunContext } from './context.js';

export const PUBLISH = 'publish';
const FETCH_BATCH = 500;

async function* allHits(ctx: RunContext): AsyncIterable<HitRow> {
  for (const marker of ctx.state.markers(RETRIEVE)) yield* readJsonl<HitRow>(marker.output!.path);
}

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

/** Writes candidate documents, sorted by id, into `data/<domain>/part-i-of-n.jsonl.gz`. */
async function writeDomainParts(
  versionDir: string,
  domain: string,
  ids: string[],
  candidates: Map<string, Candidate>,
  index: Fts5Index,
  recordsPerPart: number,
): Promise<FileEntry[]> {
  const parts = chunk(ids, recordsPerPart);
  const entries: FileEntry[] = [];
  for (const [i, partIds] of parts.entries()) {
    const name = `part-${String(i).padStart(5, '0')}-of-${String(parts.length).padStart(5, '0')}.jsonl.gz`;
    const path = join(versionDir, 'data', domain, name);
    const writer = await JsonlWriter.open(path);
    for (const batch of chunk(partIds, FETCH_BATCH)) {
      for (const doc of index.getDocs(batch)) {
        const c = candidates.get(doc.id)!;
        const record: Doc = { ...doc, domain, retrieval: { hits: c.hits, best_score: c.best_score, queries: c.hits.length } };
        await writer.write(record);
      }
    }
    await writer.close();
    entries.push(await fileEntry(versionDir, path, writer.records));
  }
  return entries;
}

export function publishStep(ctx: RunContext): Step<ShardSpec> {
  const { config, datasetDir, hash } = ctx.loaded;
  return {
    name: PUBLISH,
    after: [RETRIEVE],
    barrier: true,
    listShards: async () => [{ id: 'publish' }],
    async runShard(_shard, work) {
      const dataset = new VersionedDataset(datasetDir);
      const existing = dataset.findRun(hash);
      if (existing) {
        // A crash between publishing and moving LATEST: finish the move, publish nothing new.
        if (dataset.latest() !== existing && dataset.versions().at(-1) === existing) await dataset.pointLatestAt(existing);
        return { records: 0, meta: { version: existing, up_to_date: true } };
      }
      const candidates = await aggregateHits(allHits(ctx));
      const index = new Fts5Index(ctx.paths.index, { readonly: true });
      try {
        return await build(dataset, candidates, index, work.counters);
      } finally {
        index.close();
      }
    },
  };

  async function build(dataset: VersionedDataset, candidates: Map<string, Candidate>, index: Fts5Index, counters: Counters) {
    const ids = [...candidates.keys()].sort();
    const infos = index.info(ids);
    const duplicateOf = config.dedup.exact
      ? exactDuplicates(infos.map((info) => ({ ...info, queries: candidates.get(info.id)!.hits.length })))
      : new Map<string, string>();
    counters.add('publish.candidates', ids.length);
    counters.add('publish.removed.exact_duplicate', duplicateOf.size);

    const parent = dataset.latest();
    const { version, tempDir } = await dataset.beginVersion();
    const byDomain = new Map<string, string[]>();
    for (const id of ids) {
      if (duplicateOf.has(id)) continue;
      const domain = candidates.get(id)!.domain;
      const list = byDomain.get(domain) ?? [];
      list.push(id);
      byDomain.set(domain, list);
    }
    const shards: FileEntry[] = [];
    const domains: Manifest['domains'] = {};
    for (const domain of [...byDomain.keys()].sort()) {
      const entries = await writeDomainParts(tempDir, domain, byDomain.get(domain)!, candidates, index, config.write.records_per_part);
      shards.push(...entries);
      domains[domain] = { records: entries.reduce((n, e) => n + e.records, 0), bytes: entries.reduce((n, e) => n + e.bytes, 0) };
      counters.add(`publish.kept.${domain}`, domains[domain]!.records);
    }

    const removed: FileEntry[] = [];
    if (config.write.keep_removed && duplicateOf.size > 0) {
      const path = join(tempDir, 'removed', 'exact_duplicate.jsonl.gz');
      const writer = await JsonlWriter.open(path);
      const removedIds = [...duplicateOf.keys()].sort();
      for (const batch of chunk(removedIds, FETCH_BATCH)) {
        for (const doc of index.getDocs(batch)) {
          const keptId = duplicateOf.get(doc.id)!;
          await writer.write({
            rule: 'exact_duplicate',
            reason: `same normalised text as ${keptId}`,
            values: { duplicate_of: keptId },
            record: { ...doc, domain: candidates.get(doc.id)!.domain, retrieval: { hits: candidates.get(doc.id)!.hits } },
          });
        }
      }
      await writer.close();
      removed.push(await fileEntry(tempDir, path, writer.records));
    }

    const queriesSrc = await ensureQueriesFile(ctx);
    const queriesPath = join(tempDir, 'queries.jsonl.gz');
    const queriesWriter = await JsonlWriter.open(queriesPath);
    for await (const q of readJsonl(queriesSrc)) await queriesWriter.write(q);
    await queriesWriter.close();
    const files = [await fileEntry(tempDir, queriesPath, queriesWriter.records)];

    const ingestMarkers = ctx.state.markers(INGEST);
    const inputsOf = (kind: string): InputFingerprint[] =>
      ingestMarkers.filter((m) => m.meta?.kind === kind).map((m) => m.meta!.input as InputFingerprint);
    const counts: Manifest['counts'] = {};
    for (const step of [BOOTSTRAP, INGEST, INDEX, RETRIEVE]) counts[step] = stepCounters(ctx.state, step);
    counts[PUBLISH] = counters.toJSON();
    const ingestOut = counts[INGEST]!['ingest.docs'] ?? 0;
    const skipped = sumWithPrefix(counts[INGEST]!, 'ingest.skipped.');
    const indexed = counts[INDEX]!['index.docs'] ?? 0;
    const kept = ids.length - duplicateOf.size;

    const manifest: Manifest = {
      dataset: config.dataset,
      version,
      parent,
      created: new Date().toISOString(),
      run_id: hash,
      config_hash: hash,
      code_version: codeVersion(),
      inputs: {
        seeds: await Promise.all(config.seeds.files.map(async (path) => ({ path, ...(await sha256File(path)) }))),
        archives: inputsOf('archive'),
        corpora: inputsOf('corpus'),
        queries: { count: queriesWriter.records, sha256: (await sha256File(queriesSrc)).sha256 },
      },
      counts,
      funnel: [
        { step: 'ingest', in: ingestOut + Object.values(skipped).reduce((a, b) => a + b, 0), out: ingestOut, removed: skipped },
        { step: 'index', in: ingestOut, out: indexed, removed: { duplicate_id: ingestOut - indexed } },
        { step: 'retrieve', in: indexed, out: ids.length, removed: { not_retrieved: indexed - ids.length } },
        { step: 'dedup_exact', in: ids.length, out: kept, removed: { exact_duplicate: duplicateOf.size } },
      ],
      domains,
      shards,
      removed,
      files,
      config,
    };
    await writeFileAtomic(join(tempDir, 'README.md'), datasetCard(manifest));
    await writeFileAtomic(join(tempDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    await dataset.publish(tempDir, version);
    return { records: kept, meta: { version, parent } };
  }
}
