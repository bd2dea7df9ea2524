#!/usr/bin/env node
// Writes the labelled evaluation corpora (docs/relevance-eval.md) from ../shared/data/corpora/ into an ignored
// folder: per corpus <name>-dev.jsonl.gz and <name>-val.jsonl.gz, one {id, label, text} per line, split once by
// sha1 of the document's unit (scripts/relevance/corpora.mjs partOf), plus summary.json. Prints documents per label
// and part and the median words per document. Same input, same bytes out.
//
//   node scripts/relevance/prepare-corpora.mjs [--corpus 20news,bbc,abc,brown] [--out out/corpora] [--from <corpora dir>]
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CORPORA, median, partOf, wordCount } from './corpora.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const repo = new URL('../..', import.meta.url).pathname;
const shared = process.env.QCC_SHARED_DATA ?? join(repo, '..', 'shared', 'data');
const from = resolve(arg('from', join(shared, 'corpora')));
const outDir = resolve(arg('out', process.env.QCC_EVAL_CORPORA || join(repo, 'out', 'corpora')));
const names = arg('corpus', Object.keys(CORPORA).join(',')).split(',').filter(Boolean);
for (const n of names)
  if (!CORPORA[n]) throw new Error(`--corpus ${n}: unknown corpus (known: ${Object.keys(CORPORA).join(', ')})`);

function writeGz(file, docs) {
  const body = docs.map(({ id, label, text }) => JSON.stringify({ id, label, text })).join('\n') + '\n';
  writeFileSync(`${file}.tmp`, gzipSync(body, { level: 9 }));
  renameSync(`${file}.tmp`, file);
}

mkdirSync(outDir, { recursive: true });
const summaryFile = join(outDir, 'summary.json');
// The corpora not prepared this time keep their entry.
const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : {};
for (const name of names) {
  const t0 = Date.now();
  const docs = CORPORA[name].read(from);
  const ids = new Set();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`${name}: duplicate document id ${d.id}`);
    ids.add(d.id);
  }
  const parts = { dev: [], val: [] };
  for (const d of docs) parts[partOf(d.unit)].push(d);
  const labels = [...new Set(docs.map(d => d.label))].sort();
  const entry = {
    source: join(from, CORPORA[name].file),
    docs: docs.length,
    median_words: median(docs.map(d => wordCount(d.text))),
    parts: {},
  };
  for (const part of ['dev', 'val']) {
    const file = join(outDir, `${name}-${part}.jsonl.gz`);
    writeGz(file, parts[part]);
    const perLabel = Object.fromEntries(labels.map(l => [l, parts[part].filter(d => d.label === l).length]));
    entry.parts[part] = {
      file,
      docs: parts[part].length,
      median_words: median(parts[part].map(d => wordCount(d.text))),
      labels: perLabel,
    };
  }
  summary[name] = entry;
  console.log(
    `\n${name}: ${docs.length} documents from ${entry.source}, median ${entry.median_words} words (${Date.now() - t0} ms)`,
  );
  console.log(`| label | dev | val |\n|---|---:|---:|`);
  for (const l of labels) console.log(`| ${l} | ${entry.parts.dev.labels[l]} | ${entry.parts.val.labels[l]} |`);
  console.log(
    `| all (median words) | ${entry.parts.dev.docs} (${entry.parts.dev.median_words}) | ${entry.parts.val.docs} (${entry.parts.val.median_words}) |`,
  );
}
writeFileSync(summaryFile, JSON.stringify(summary, null, 1) + '\n');
console.log(`\nwrote ${names.map(n => `${n}-{dev,val}.jsonl.gz`).join(', ')} and summary.json to ${outDir}`);
