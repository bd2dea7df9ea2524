#!/usr/bin/env node
// Language id on lingua's labelled sentences (../shared/data/langid/, 75 languages): accuracy and
// speed of eld (what qcc ships, raw and through identifyLanguage) against other npm detectors.
//   npm install --prefix /tmp/langid-peers tinyld@1 cld3-asm@4
//   npx tsx scripts/bench/ingest/langid.mjs --peers /tmp/langid-peers [--per-lang 300]
// A sentence counts as right when the detector's ISO 639-1 code is its file's name (cld3's old codes
// iw/fil and the macro-language "no" for nb are mapped). Each detector is judged on every language,
// including those it does not know (lingua's own reports do the same); "top 20" is the subset of
// widely used languages all three support.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { eld } from 'eld/medium';
import { identifyLanguage } from '../../../stages/ingest/langid.js';

const arg = (n, d) => (process.argv.indexOf(n) > 0 ? process.argv[process.argv.indexOf(n) + 1] : d);
const shared = resolve(
  process.env.QCC_SHARED_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data'),
);
const dir = join(shared, 'langid', 'lingua-testdata', 'language-testdata', 'sentences');
const perLang = Number(arg('--per-lang', '300'));
const peers = arg('--peers');
const TOP20 = new Set([
  'en',
  'de',
  'fr',
  'es',
  'it',
  'pt',
  'nl',
  'ru',
  'pl',
  'cs',
  'sv',
  'tr',
  'ar',
  'zh',
  'ja',
  'ko',
  'hi',
  'fa',
  'uk',
  'el',
]);
const ALIAS = { iw: 'he', fil: 'tl', no: 'nb', jw: 'jv' };

const data = [];
for (const f of readdirSync(dir).sort()) {
  const lang = f.replace(/\.txt$/, '');
  const lines = readFileSync(join(dir, f), 'utf8')
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)
    .slice(0, perLang);
  for (const text of lines) data.push({ lang, text });
}

const known = new Set(Object.values(eld.info().Languages));
const langs = [...new Set(data.map(d => d.lang))];

const detectors = [
  { name: 'eld 2.1.0 (medium), raw', detect: t => eld.detect(t).language },
  { name: 'eld via qcc identifyLanguage', detect: t => identifyLanguage(t).code },
];
const eldLarge = (await import('eld/large')).eld;
detectors.push({ name: 'eld 2.1.0 (large), raw', detect: t => eldLarge.detect(t).language });
if (peers) {
  const require = createRequire(join(resolve(peers), 'node_modules', 'x.js'));
  const tinyld = require('tinyld');
  detectors.push({ name: 'tinyld 1.x', detect: t => tinyld.detect(t) });
  const { loadModule } = require('cld3-asm');
  const cld = await loadModule();
  const finder = cld.create(0, 1000);
  detectors.push({ name: 'cld3-asm 4.x (CLD3, WASM)', detect: t => finder.findLanguage(t).language });
}

const rows = [];
for (const d of detectors) {
  for (const { text } of data.slice(0, 200)) d.detect(text); // warm-up
  let ok = 0,
    topOk = 0,
    top = 0,
    eldOk = 0,
    eldN = 0;
  const t0 = performance.now();
  const got = data.map(({ text }) => d.detect(text));
  const ms = performance.now() - t0;
  data.forEach(({ lang }, i) => {
    const g = ALIAS[got[i]] ?? got[i];
    const hit = g === lang || (lang === 'nn' && g === 'no');
    if (hit) ok++;
    if (known.has(lang)) {
      eldN++;
      if (hit) eldOk++;
    }
    if (TOP20.has(lang)) {
      top++;
      if (hit) topOk++;
    }
  });
  rows.push({
    name: d.name,
    acc: ok / data.length,
    eld: eldOk / eldN,
    top: topOk / top,
    perSec: data.length / (ms / 1000),
  });
}
console.log(
  `eld knows ${known.size} languages; ${langs.filter(l => known.has(l)).length} of lingua's ${langs.length} are among them`,
);
console.log(`${data.length} sentences, ${new Set(data.map(d => d.lang)).size} languages (up to ${perLang} each)\n`);
console.log(
  `| detector | accuracy, all ${langs.length} | accuracy, the ${langs.filter(l => known.has(l)).length} eld knows | accuracy, top 20 | sentences/s |`,
);
console.log('|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.name} | ${(r.acc * 100).toFixed(1)}% | ${(r.eld * 100).toFixed(1)}% | ${(r.top * 100).toFixed(1)}% | ${Math.round(r.perSec).toLocaleString('en')} |`,
  );
