import { existsSync, readFileSync } from 'node:fs';
import { sha256File } from '../../core/atomic.js';
import { repoRoot } from '../../core/repo.js';
import type { Counters } from '../../core/types.js';
import { funnelWarnings } from '../../stages/filter/funnel-warnings.js';
import { funnelOf } from '../../stages/publish/funnel.js';
import type { RelevanceSummary } from '../../stages/relevance/model-file.js';
import type { FileEntry, InputFingerprint, Manifest } from '../../stages/write/manifest.js';
import { portablePath, portablePaths } from '../portable-paths.js';
import { stepCounters } from '../runner.js';
import { BOOTSTRAP } from '../steps/bootstrap.js';
import { BOOTSTRAP_FINALISE } from '../steps/bootstrap-finalise.js';
import type { RunContext } from '../steps/context.js';
import type { DocStep } from '../steps/doc-steps.js';
import { INDEX } from '../steps/index-step.js';
import { INGEST } from '../steps/ingest.js';
import { RETRIEVE } from '../steps/retrieve-step.js';
import { STREAM_SCORE } from '../steps/stream-retrieve.js';
import { codeVersion } from '../version.js';

export const PUBLISH = 'publish';

/** What the version holds, as written so far. */
export interface VersionContents {
  shards: FileEntry[];
  domains: Manifest['domains'];
  removed: FileEntry[];
  files: FileEntry[];
  queries: { count: number; sha256: string };
}

/**
 * The version's manifest: identity (run, config, code, lineage), inputs, every step's counters and the funnel
 * (with its warnings, logged), the files, and the relevance loop's summary and estimate when it ran.
 */
export async function manifestOf(
  ctx: RunContext,
  docSteps: DocStep[],
  version: string,
  contents: VersionContents,
  counters: Counters,
): Promise<Manifest> {
  const { config } = ctx.loaded;
  const ingestMarkers = ctx.state.markers(INGEST);
  const inputsOf = (kind: string): InputFingerprint[] =>
    ingestMarkers.filter(m => m.meta?.kind === kind).map(m => m.meta!.input as InputFingerprint);
  const counts: Manifest['counts'] = {};
  const ordered = [BOOTSTRAP, BOOTSTRAP_FINALISE, INGEST, INDEX, RETRIEVE, ...docSteps.map(s => s.name)];
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
    parent: ctx.lineage.parent,
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
      queries: contents.queries,
    },
    counts,
    funnel: funnelOf(
      counts,
      counts[INGEST]!,
      indexed,
      docSteps.map(s => s.name),
    ),
    domains: contents.domains,
    shards: contents.shards,
    removed: contents.removed,
    files: contents.files,
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
  const { summary: relevanceSummary, estimate } = ctx.paths.relevance;
  if (existsSync(relevanceSummary)) {
    const { classifier: _weights, ...summary } = JSON.parse(readFileSync(relevanceSummary, 'utf8')) as RelevanceSummary;
    manifest.relevance = summary;
    if (existsSync(estimate)) manifest.relevance.estimate = JSON.parse(readFileSync(estimate, 'utf8'));
  }
  return manifest;
}
