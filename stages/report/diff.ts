import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { MANIFEST_FILE, QUERIES_FILE } from '../../core/dataset-files.js';
import { readJsonl } from '../../core/jsonl.js';
import type { Doc, Query, Removal } from '../../core/types.js';
import { readManifest, type Manifest } from '../write/manifest.js';

export interface VersionRef {
  dir: string;
  manifest: Manifest;
}

export interface DomainDiff {
  domain: string;
  before: number;
  after: number;
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
  /** Why documents were added, removed or changed: reason → documents. */
  why: { added: Record<string, number>; removed: Record<string, number>; changed: Record<string, number> };
  examples: { added: string[]; removed: string[]; changed: string[] };
}

export interface VersionDiff {
  dataset: string;
  a: { version: string; dir: string; parent: string | null };
  b: { version: string; dir: string; parent: string | null };
  domains: DomainDiff[];
  config: { key: string; a: unknown; b: unknown }[];
  queries: {
    a: number;
    b: number;
    added: number;
    removed: number;
    byDomain: Record<string, { added: number; removed: number }>;
    examples: { added: string[]; removed: string[] };
  };
  inputs: { added: string[]; removed: string[]; changed: string[] };
  funnel: { step: string; a: { in: number; out: number } | null; b: { in: number; out: number } | null }[];
}

const EXAMPLES = 5;

export function loadVersion(dir: string): VersionRef {
  return { dir, manifest: readManifest(dir, () => `${dir}: not a dataset version (no ${MANIFEST_FILE})`) };
}

type QueryInfo = { domain: string; text: string };

async function readQueries(dir: string): Promise<Map<string, QueryInfo>> {
  const out = new Map<string, QueryInfo>();
  const path = join(dir, QUERIES_FILE);
  if (!existsSync(path)) return out;
  for await (const q of readJsonl<Query>(path)) out.set(q.id, { domain: q.domain, text: q.text });
  return out;
}

async function readRemovals(ref: VersionRef): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of ref.manifest.removed) {
    for await (const r of readJsonl<Removal<Doc>>(join(ref.dir, entry.path))) out.set(r.record.id, r.rule);
  }
  return out;
}

function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

export function configDiff(a: unknown, b: unknown): { key: string; a: unknown; b: unknown }[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys.filter(k => !isDeepStrictEqual(fa.get(k), fb.get(k))).map(k => ({ key: k, a: fa.get(k), b: fb.get(k) }));
}

/** A domain's documents in id order: parts are written sorted by id, which lets two versions be merge-joined in bounded memory. */
async function* domainDocs(ref: VersionRef, domain: string, sorted = true): AsyncGenerator<Doc> {
  const parts = ref.manifest.shards
    .filter(s => s.path.startsWith(`data/${domain}/`))
    .sort((x, y) => (x.path < y.path ? -1 : 1));
  let last = '';
  for (const part of parts) {
    const path = join(ref.dir, part.path);
    for await (const doc of readJsonl<Doc>(path)) {
      if (sorted && doc.id <= last)
        throw new OutOfOrder(`${path}: record ${doc.id} is out of id order (after ${last})`);
      last = doc.id;
      yield doc;
    }
  }
}

class OutOfOrder extends Error {}

interface PairSink {
  pair(a: Doc, b: Doc): void;
  onlyA(doc: Doc): void;
  onlyB(doc: Doc): void;
}

/** Parts sorted by id (as publish writes them): a merge-join, in bounded memory. Throws OutOfOrder otherwise. */
async function mergePairs(a: VersionRef, b: VersionRef, domain: string, sink: PairSink): Promise<void> {
  const ia = domainDocs(a, domain)[Symbol.asyncIterator]();
  const ib = domainDocs(b, domain)[Symbol.asyncIterator]();
  let x = await ia.next();
  let y = await ib.next();
  while (!x.done || !y.done) {
    if (!x.done && (y.done || x.value.id < y.value.id)) {
      sink.onlyA(x.value);
      x = await ia.next();
    } else if (!y.done && (x.done || y.value.id < x.value.id)) {
      sink.onlyB(y.value);
      y = await ib.next();
    } else {
      sink.pair(x.value as Doc, y.value as Doc);
      x = await ia.next();
      y = await ib.next();
    }
  }
}

/** Parts in any order: version A's documents of the domain are held in a map. */
async function mapPairs(a: VersionRef, b: VersionRef, domain: string, sink: PairSink): Promise<void> {
  const docsA = new Map<string, Doc>();
  for await (const doc of domainDocs(a, domain, false)) docsA.set(doc.id, doc);
  for await (const doc of domainDocs(b, domain, false)) {
    const old = docsA.get(doc.id);
    if (old) {
      sink.pair(old, doc);
      docsA.delete(doc.id);
    } else sink.onlyB(doc);
  }
  docsA.forEach(doc => sink.onlyA(doc));
}

function sourceFile(doc: Doc): string {
  return doc.source.kind === 'corpus' ? doc.source.file : doc.source.warc_file;
}

const KNOWN_FIELDS = new Set(['id', 'text', 'url', 'domain', 'source', 'lang', 'retrieval']);

/**
 * A record without its null fields: versions published before the one record schema
 * (stages/write/record-schema.ts) left unknown fields out, later ones write them as null; both mean the same.
 */
function withoutNulls(doc: Doc): Doc {
  const strip = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return v === null ? undefined : Array.isArray(v) ? v.map(strip) : v;
    const kept = Object.entries(v)
      .map(([k, x]) => [k, strip(x)] as const)
      .filter(([, x]) => x !== undefined);
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  return strip(doc) as Doc;
}

function changeReasons(before: Doc, after: Doc): string[] {
  const [a, b] = [withoutNulls(before), withoutNulls(after)];
  const reasons: string[] = [];
  if (a.text !== b.text) reasons.push('text changed');
  if (a.url !== b.url || !isDeepStrictEqual(a.source, b.source) || !isDeepStrictEqual(a.lang, b.lang))
    reasons.push('metadata changed (url, source or language)');
  const qa = new Set((a.retrieval?.hits ?? []).map(h => h.query_id));
  const qb = new Set((b.retrieval?.hits ?? []).map(h => h.query_id));
  if (!isDeepStrictEqual(qa, qb)) reasons.push('found by a different set of queries');
  else if (!isDeepStrictEqual(a.retrieval?.hits, b.retrieval?.hits))
    reasons.push('same queries, different BM25 scores or ranks');
  const rest = (d: Doc) => Object.fromEntries(Object.entries(d).filter(([k]) => !KNOWN_FIELDS.has(k)));
  const other = [...new Set([...Object.keys(rest(a)), ...Object.keys(rest(b))])].filter(
    k => !isDeepStrictEqual(rest(a)[k], rest(b)[k]),
  );
  if (other.length) reasons.push(`${other.sort().join(', ')} changed`);
  return reasons;
}

interface Pending {
  id: string;
  domain: string;
  source: string;
  queries: string[];
}

function add(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Documents added, removed and changed per domain between two versions, each with a reason; plus the
 * config, query-set, input and funnel differences that explain them. Memory grows with the queries,
 * the removed records and the documents that differ, not with the documents both versions share.
 */
export async function diffVersions(a: VersionRef, b: VersionRef): Promise<VersionDiff> {
  const [queriesA, queriesB, removedA, removedB] = await Promise.all([
    readQueries(a.dir),
    readQueries(b.dir),
    readRemovals(a),
    readRemovals(b),
  ]);
  const inputsOf = (m: Manifest) =>
    new Map([...m.inputs.archives, ...m.inputs.corpora, ...m.inputs.seeds].map(i => [i.path, i.sha256]));
  const inA = inputsOf(a.manifest);
  const inB = inputsOf(b.manifest);
  const config = configDiff(a.manifest.config, b.manifest.config);
  const retrieveChanged = config.some(c => c.key.startsWith('retrieve.') || c.key.startsWith('index.'));

  const domains = [...new Set([...Object.keys(a.manifest.domains), ...Object.keys(b.manifest.domains)])].sort();
  const result = new Map<string, DomainDiff>();
  const pendingAdded: Pending[] = [];
  const pendingRemoved: Pending[] = [];
  const pending = (doc: Doc, domain: string): Pending => ({
    id: doc.id,
    domain,
    source: sourceFile(doc),
    queries: (doc.retrieval?.hits ?? []).map(h => h.query_id),
  });

  const emptyDomain = (domain: string): DomainDiff => ({
    domain,
    before: a.manifest.domains[domain]?.records ?? 0,
    after: b.manifest.domains[domain]?.records ?? 0,
    added: 0,
    removed: 0,
    changed: 0,
    unchanged: 0,
    why: { added: {}, removed: {}, changed: {} },
    examples: { added: [], removed: [], changed: [] },
  });
  for (const domain of domains) {
    let d = emptyDomain(domain);
    const sink: PairSink = {
      pair(x, y) {
        const reasons = changeReasons(x, y);
        if (reasons.length === 0) d.unchanged++;
        else {
          d.changed++;
          for (const r of reasons) add(d.why.changed, r);
          if (d.examples.changed.length < EXAMPLES) d.examples.changed.push(`${y.id} (${reasons.join('; ')})`);
        }
      },
      onlyA: doc => pendingRemoved.push(pending(doc, domain)),
      onlyB: doc => pendingAdded.push(pending(doc, domain)),
    };
    const marks = [pendingAdded.length, pendingRemoved.length] as const;
    try {
      await mergePairs(a, b, domain, sink);
    } catch (err) {
      if (!(err instanceof OutOfOrder)) throw err;
      d = emptyDomain(domain);
      pendingAdded.length = marks[0];
      pendingRemoved.length = marks[1];
      await mapPairs(a, b, domain, sink);
    }
    result.set(domain, d);
  }

  const addedDomain = new Map(pendingAdded.map(p => [p.id, p.domain]));
  const removedDomain = new Map(pendingRemoved.map(p => [p.id, p.domain]));
  for (const p of pendingRemoved) {
    const d = result.get(p.domain)!;
    d.removed++;
    const movedTo = addedDomain.get(p.id);
    let reason: string;
    if (movedTo) reason = `moved to domain ${movedTo}`;
    else if (removedB.has(p.id)) reason = `removed by rule ${removedB.get(p.id)} in ${b.manifest.version}`;
    else if (!inB.has(p.source)) reason = 'its input file is not an input any more';
    else if (p.queries.length > 0 && p.queries.every(q => !queriesB.has(q)))
      reason = `its queries are not in ${b.manifest.version}'s query set`;
    else if (retrieveChanged) reason = 'not retrieved under the changed retrieve/index settings';
    else reason = 'no longer retrieved';
    add(d.why.removed, reason);
    if (d.examples.removed.length < EXAMPLES) d.examples.removed.push(`${p.id} (${reason})`);
  }
  for (const p of pendingAdded) {
    const d = result.get(p.domain)!;
    d.added++;
    const movedFrom = removedDomain.get(p.id);
    let reason: string;
    if (movedFrom) reason = `moved from domain ${movedFrom}`;
    else if (removedA.has(p.id)) reason = `no longer removed by rule ${removedA.get(p.id)}`;
    else if (!inA.has(p.source)) reason = 'from a new input file';
    else if (p.queries.some(q => !queriesA.has(q))) reason = `found by queries new in ${b.manifest.version}`;
    else if (retrieveChanged) reason = 'retrieved by existing queries under the changed retrieve/index settings';
    else reason = 'newly retrieved by existing queries';
    add(d.why.added, reason);
    if (d.examples.added.length < EXAMPLES) d.examples.added.push(`${p.id} (${reason})`);
  }

  const byDomain: Record<string, { added: number; removed: number }> = {};
  const qAdded = [...queriesB].filter(([id]) => !queriesA.has(id));
  const qRemoved = [...queriesA].filter(([id]) => !queriesB.has(id));
  for (const [, q] of qAdded) (byDomain[q.domain] ??= { added: 0, removed: 0 }).added++;
  for (const [, q] of qRemoved) (byDomain[q.domain] ??= { added: 0, removed: 0 }).removed++;

  const steps = [...new Set([...a.manifest.funnel.map(f => f.step), ...b.manifest.funnel.map(f => f.step)])];
  const stepOf = (m: Manifest, s: string) => {
    const f = m.funnel.find(x => x.step === s);
    return f ? { in: f.in, out: f.out } : null;
  };

  return {
    dataset: b.manifest.dataset,
    a: { version: a.manifest.version, dir: a.dir, parent: a.manifest.parent },
    b: { version: b.manifest.version, dir: b.dir, parent: b.manifest.parent },
    domains: [...result.values()],
    config,
    queries: {
      a: queriesA.size,
      b: queriesB.size,
      added: qAdded.length,
      removed: qRemoved.length,
      byDomain,
      examples: {
        added: qAdded.slice(0, EXAMPLES).map(([, q]) => `[${q.domain}] ${q.text}`),
        removed: qRemoved.slice(0, EXAMPLES).map(([, q]) => `[${q.domain}] ${q.text}`),
      },
    },
    inputs: {
      added: [...inB.keys()].filter(p => !inA.has(p)),
      removed: [...inA.keys()].filter(p => !inB.has(p)),
      changed: [...inB].filter(([p, sha]) => inA.has(p) && inA.get(p) !== sha).map(([p]) => p),
    },
    funnel: steps.map(step => ({ step, a: stepOf(a.manifest, step), b: stepOf(b.manifest, step) })),
  };
}
