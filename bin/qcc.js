#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/pipeline/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('qcc: not built yet; run `npm ci` (or `npm run build`) in the repository first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
