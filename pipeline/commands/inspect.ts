import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { versionPaths } from '../paths.js';
import { readJsonl } from '../../core/jsonl.js';
import type { Doc } from '../../core/types.js';
import { locateInput } from '../input-location.js';
import { intOption } from './int-option.js';
import { isUrl } from '../../stages/acquire/url.js';

interface FunnelRow {
  step: string;
  in: number;
  out: number;
  removed: Record<string, number>;
}
interface VersionManifest {
  version: string;
  funnel?: FunnelRow[];
  shards: { path: string; records: number }[];
  removed?: { path: string; records: number }[];
}
interface RemovedRecord {
  step?: string;
  rule: string;
  reason: string;
  values?: Record<string, unknown>;
  record: Doc;
}

/** Up to n items spread evenly over a stream of known length: the same version gives the same sample. */
async function spread<T>(items: AsyncIterable<T>, total: number, n: number): Promise<T[]> {
  const every = Math.max(1, Math.floor(total / Math.max(1, n)));
  const out: T[] = [];
  let i = 0;
  for await (const item of items) {
    if (i++ % every === 0) out.push(item);
    if (out.length === n) break;
  }
  return out;
}

async function* concat<T>(paths: string[]): AsyncIterable<T> {
  for (const p of paths) yield* readJsonl<T>(p);
}

const snippet = (text: string, chars = 240) => text.replace(/\s+/g, ' ').trim().slice(0, chars);
const where = (d: Doc) =>
  d.url ?? (d.source.kind === 'corpus' ? `${d.source.file}#${d.source.original_id}` : d.source.record_id);

function loadManifest(dir: string): VersionManifest {
  const path = versionPaths(dir).manifest;
  if (!existsSync(path)) throw new Error(`${dir}: not a dataset version folder (no manifest.json)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as VersionManifest;
  } catch (err) {
    throw new Error(`${path}: invalid JSON (${(err as Error).message})`);
  }
}

export interface InspectSample {
  version: string;
  funnel: FunnelRow[];
  kept: Doc[];
  removed: Record<string, RemovedRecord[]>;
  /** With `inputs`: each sampled web record re-read at its WARC file and offset, by document id. */
  reread?: Record<string, string>;
}

/**
 * Re-reads a web document's record from its WARC/WET file (recorded relative to the input root, so
 * resolved against `inputs`) at its offset: `ok` when the record id matches, else what went wrong.
 */
async function reread(doc: Doc, inputs: string): Promise<string | undefined> {
  if (doc.source.kind === 'corpus') return undefined;
  const { warc_file: file, offset, length, record_id: id } = doc.source;
  if (isUrl(file)) return `not re-read: ${file} is a URL`;
  try {
    // Loaded only here: the CLI's start-up (`--help`) stays free of the WARC reader.
    const { readRecordAt } = await import('../../stages/ingest/reread.js');
    const found = await readRecordAt(locateInput(inputs, file), offset, length);
    return found.recordId === id ? 'ok' : `mismatch: ${found.recordId} at offset ${offset}, expected ${id}`;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** Samples kept documents and, per rule (or only `rule`), removed ones with the reason and values. */
export async function inspectVersion(
  versionDir: string,
  opts: { rule?: string; n: number; inputs?: string },
): Promise<InspectSample> {
  const dir = resolve(versionDir);
  const manifest = loadManifest(dir);
  const removedFiles = (manifest.removed ?? []).map(f => ({
    ...f,
    rule: f.path.replace(/^removed\//, '').replace(/\.jsonl\.gz$/, ''),
  }));
  if (opts.rule && !removedFiles.some(f => f.rule === opts.rule)) {
    const known = removedFiles.map(f => f.rule).join(', ') || 'none';
    throw new Error(`${dir}: no removals under rule "${opts.rule}" (rules with removals: ${known})`);
  }
  const keptTotal = manifest.shards.reduce((n, s) => n + s.records, 0);
  const kept = opts.rule
    ? []
    : await spread(concat<Doc>(manifest.shards.map(s => join(dir, s.path))), keptTotal, opts.n);
  const removed: Record<string, RemovedRecord[]> = {};
  for (const f of removedFiles) {
    if (opts.rule && f.rule !== opts.rule) continue;
    removed[f.rule] = await spread(readJsonl<RemovedRecord>(join(dir, f.path)), f.records, opts.n);
  }
  const sample: InspectSample = { version: manifest.version, funnel: manifest.funnel ?? [], kept, removed };
  if (opts.inputs) {
    sample.reread = {};
    for (const doc of [...kept, ...Object.values(removed).flatMap(items => items.map(i => i.record))]) {
      const result = await reread(doc, resolve(opts.inputs));
      if (result) sample.reread[doc.id] = result;
    }
  }
  return sample;
}

function format(sample: InspectSample, rule?: string): string {
  const lines: string[] = [`version ${sample.version}`];
  if (!rule) {
    lines.push('', 'funnel (in -> out, removed by rule):');
    for (const row of sample.funnel) {
      const rules = Object.entries(row.removed)
        .filter(([, n]) => n > 0)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ');
      lines.push(`  ${row.step.padEnd(12)} ${String(row.in).padStart(8)} -> ${String(row.out).padEnd(8)} ${rules}`);
    }
    lines.push('', `kept (${sample.kept.length} sampled):`);
    for (const d of sample.kept) {
      lines.push(`  ${d.id}  ${d.domain ?? ''}  ${where(d)}`);
      if (sample.reread?.[d.id]) lines.push(`    record re-read: ${sample.reread[d.id]}`);
      lines.push(`    ${snippet(d.text)}`);
    }
  }
  for (const [r, items] of Object.entries(sample.removed)) {
    lines.push('', `removed by ${r} (${items.length} sampled):`);
    for (const item of items) {
      lines.push(`  ${item.record.id}  ${item.step ?? ''}  ${where(item.record)}`, `    why: ${item.reason}`);
      if (sample.reread?.[item.record.id]) lines.push(`    record re-read: ${sample.reread[item.record.id]}`);
      if (item.values) lines.push(`    values: ${JSON.stringify(item.values)}`);
      lines.push(`    ${snippet(item.record.text)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function registerInspectCommands(program: Command): void {
  program
    .command('inspect')
    .description('sample kept and removed documents of a published version, by removal rule, with the funnel')
    .argument('<version-dir>', 'a version folder, e.g. out/qcc-demo/v0001')
    .option('--rule <rule>', 'only documents removed by this rule (e.g. near_duplicate, decontam, gopher_short_doc)')
    .option('-n <n>', 'documents per group', intOption('-n', 1), 5)
    .option(
      '--inputs <dir>',
      'the input root: re-read each sampled web record from <dir>/<source.warc_file> at its offset and check its record id',
    )
    .option('--json', 'machine-readable output')
    .action(async (dir: string, opts: { rule?: string; n: number; inputs?: string; json?: boolean }) => {
      const sample = await inspectVersion(dir, { rule: opts.rule, n: opts.n, inputs: opts.inputs });
      process.stdout.write(opts.json ? JSON.stringify(sample, null, 2) + '\n' : format(sample, opts.rule));
    });
}
