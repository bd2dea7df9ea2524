#!/usr/bin/env node
// Install headless Chromium (Debian package `chromium`) for the report's real-browser test.
//
//   node scripts/install-chromium.mjs
//
// Idempotent: when /usr/bin/chromium exists it prints its version and exits. Otherwise it runs
// `apt-get update` and `apt-get install -y chromium` (as root, or through sudo when available).
// The executable path is the last line on stdout; progress goes to stderr.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const log = msg => process.stderr.write(`install-chromium: ${msg}\n`);

function run(cmd, args) {
  const asRoot = process.getuid?.() === 0;
  const [bin, argv] = asRoot ? [cmd, args] : ['sudo', ['-n', cmd, ...args]];
  log(`${bin} ${argv.join(' ')}`);
  const r = spawnSync(bin, argv, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw new Error(`${bin}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${bin} ${argv.join(' ')} exited with ${r.status}`);
}

function version() {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim();
}

try {
  if (!existsSync(CHROMIUM)) {
    if (!existsSync('/usr/bin/apt-get'))
      throw new Error('no apt-get here: install Chromium by other means at ' + CHROMIUM);
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
    if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  }
  log(version() || 'installed');
  console.log(CHROMIUM);
} catch (err) {
  log(err.message);
  process.exit(1);
}
