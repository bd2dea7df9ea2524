#!/usr/bin/env node
// A project-local Python venv (.venv/, ignored by git) with Hugging Face `datasets` and `huggingface_hub`,
// which the tests use to load published versions the way a consumer does (tests/hf-load.test.ts).
// With --bench: .venv-bench/ instead, with the Python peers of the benchmarks (scripts/bench/ingest.mjs):
// FastWARC + Resiliparse, datatrove + trafilatura (versions of ../shared/design/ENVIRONMENT.md).
//
//   node scripts/setup-python.mjs [--bench]
//
// Needs Python >= 3.9 with its venv module (QCC_PYTHON names the interpreter; default python3). Changes
// nothing outside the checkout: pip installs from PyPI into .venv/ (about 400 MB). Idempotent: when .venv
// already holds these exact versions it only prints the interpreter's path, the last line on stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = process.argv.includes('--bench');
const REQUIREMENTS = bench
  ? [
      'resiliparse==2.0.1',
      'fastwarc==2.0.1',
      'datatrove[io,processing]==0.10.1',
      'trafilatura==1.11.0',
      'lxml_html_clean',
    ]
  : ['datasets==5.2.0', 'huggingface_hub==2.4.0'];
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(repo, bench ? '.venv-bench' : '.venv');
const python = join(venv, 'bin', 'python');
const stamp = join(venv, '.qcc-requirements');
const log = msg => process.stderr.write(`setup-python: ${msg}\n`);

function run(bin, args) {
  log(`${bin} ${args.join(' ')}`);
  const r = spawnSync(bin, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  if (r.error) throw new Error(`${bin}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited with ${r.status}`);
}

try {
  const wanted = REQUIREMENTS.join('\n') + '\n';
  const ready = existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted;
  if (!ready) {
    if (!existsSync(python)) {
      const base = process.env.QCC_PYTHON ?? 'python3';
      const v = spawnSync(base, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'], {
        encoding: 'utf8',
      });
      if (v.error || v.status !== 0) {
        throw new Error(
          `${base} with its venv module is needed (Python >= 3.9; on Debian: apt-get install python3-venv), or set QCC_PYTHON`,
        );
      }
      const [major, minor] = v.stdout.trim().split('.').map(Number);
      if (major < 3 || (major === 3 && minor < 9))
        throw new Error(`${base} is Python ${v.stdout.trim()}; datasets needs >= 3.9 (set QCC_PYTHON)`);
      rmSync(venv, { recursive: true, force: true });
      run(base, ['-m', 'venv', venv]);
    }
    run(python, ['-m', 'pip', 'install', '--quiet', '--no-input', ...REQUIREMENTS]);
    writeFileSync(stamp, wanted);
  }
  log(`${REQUIREMENTS.join(', ')} in ${venv}`);
  console.log(python);
} catch (err) {
  log(err.message);
  process.exit(1);
}
