import { basename } from 'node:path';
import { sha256File } from '../../core/atomic.js';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Doc } from '../../core/types.js';
import { readArchive, readCorpus } from '../../stages/ingest/index.js';
import type { IngestConfig } from '../../stages/ingest/config.js';
import { shardId, type RunContext } from './context.js';
import { inputKey } from '../lineage.js';
import { cachePaths } from '../paths.js';
import { isUrl, resolveInputs } from '../../stages/acquire/inputs.js';
import { recordedLocation, rememberDigest } from '../input-location.js';

export interface IngestShard extends ShardSpec {
  kind: 'archive' | 'corpus';
  path: string;
  corpus?: IngestConfig['corpora'][number];
}

export const INGEST = 'ingest';

export function listIngestShards(ctx: RunContext): IngestShard[] {
  const { config, archives } = ctx.loaded;
  const safe = (p: string) => basename(p).replace(/[^A-Za-z0-9._-]/g, '_');
  return [
    ...archives.map((path, i) => ({ id: shardId('archive', i) + '-' + safe(path), kind: 'archive' as const, path })),
    ...config.ingest.corpora.map((corpus, i) => ({
      id: shardId('corpus', i) + '-' + safe(corpus.path),
      kind: 'corpus' as const,
      path: corpus.path,
      corpus,
    })),
  ];
}

export function ingestStep(ctx: RunContext): Step<IngestShard> {
  const config = ctx.loaded.config.ingest;
  return {
    name: INGEST,
    after: [],
    listShards: async () => listIngestShards(ctx),
    outputPath: shard => ctx.paths.docs(shard.id),
    async runShard(shard, work) {
      const stageCtx = { config, log: work.log, counters: work.counters, signal: work.signal };
      const remote = isUrl(shard.path);
      // A URL input is downloaded (resumably, retried) into the cache and read from there; its documents
      // name the URL, so their provenance does not depend on where the cache was. A local input is named
      // relative to the input root (pipeline/input-location.ts): no machine path is published.
      const location = recordedLocation(ctx.loaded.inputRoot, shard.path) ?? shard.path;
      const [local] = remote
        ? await resolveInputs([shard.path], {
            cacheDir: cachePaths(ctx.loaded.cacheDir).inputs,
            log: work.log,
            signal: work.signal,
            acquire: config.acquire,
            storage: ctx.loaded.config.storage,
          })
        : [shard.path];
      const docs: AsyncIterable<Doc> =
        shard.kind === 'archive' ? readArchive(local!, stageCtx) : readCorpus(shard.corpus!, stageCtx);
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        for await (const doc of docs) {
          if (doc.source.kind === 'corpus') doc.source.file = location;
          else doc.source.warc_file = location;
          await writer.write(doc);
        }
      } finally {
        await writer.close();
      }
      const digest = await sha256File(local!);
      if (!remote) rememberDigest(shard.path, digest, ctx.loaded.cacheDir);
      const input = { path: location, key: inputKey(location, remote ? undefined : digest.sha256), ...digest };
      return { records: writer.records, meta: { input, kind: shard.kind } };
    },
  };
}

/** Every ingested document (the index holds these, first copy of an id), read again on each call; and how many. */
export function ingestedDocs(ctx: RunContext): { scan: () => AsyncIterable<Doc>; size: number } {
  const markers = ctx.state.markers(INGEST);
  const files = markers.map(m => m.output!.path);
  return {
    scan: async function* () {
      for (const file of files) yield* readJsonl<Doc>(file);
    },
    size: markers.reduce((n, m) => n + m.records, 0),
  };
}
