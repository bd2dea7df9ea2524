#!/usr/bin/env node
// One dedup barrier pass in its own process, so its peak RSS is the barrier's alone (not the text generator's).
// Run by scripts/bench/dedup.mjs: node --import tsx barrier.mjs '{"files":[...],"ledger":"...","prior":[{"version","path"}]}'
import { statSync } from 'node:fs';
import { dedupConfigSchema } from '../../../stages/dedup/config.js';
import { findDuplicates } from '../../../stages/dedup/clusters.js';
import { docId, isPlanted, plantedSource } from './derive.mjs';

const { files, ledger, prior = [], first = 0, docs } = JSON.parse(process.argv[2]);
const cfg = dedupConfigSchema.parse({});
const removed = new Set();
const start = performance.now();
const stats = await findDuplicates(
  files,
  cfg,
  r => void removed.add(r.id),
  { info() {}, warn() {}, error() {} },
  { prior, ledger },
);
const seconds = (performance.now() - start) / 1000;
// Planted copies (every 10th document is an edit of one of the 5,000 before it) whose pair was caught:
// the copy or its source removed, within this pass or against the prior ledger.
let planted = 0,
  found = 0;
for (let j = first; j < first + docs; j++) {
  if (!isPlanted(j)) continue;
  planted++;
  if (removed.has(docId(j)) || removed.has(docId(plantedSource(j)))) found++;
}
console.log(
  JSON.stringify({
    seconds: Number(seconds.toFixed(1)),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ledger_bytes: ledger ? statSync(ledger).size : undefined,
    stats,
    planted,
    planted_found: found,
  }),
);
