import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../../core/repo.js';

export const DEFAULT_MODEL_FILE = 'gemma-3-270m-q4_k_m.gguf';

/** Where `npm run fetch-model` puts the default model. */
export function defaultModelPath(): string {
  return join(repoRoot(), '.models', DEFAULT_MODEL_FILE);
}

/**
 * The GGUF file the llama provider loads: the configured path, else env `QCC_MODEL_PATH`,
 * else `<repo>/.models/gemma-3-270m-q4_k_m.gguf`. Throws if that file does not exist.
 */
export function resolveModelPath(configured?: string): string {
  const fromEnv = process.env.QCC_MODEL_PATH;
  const [path, origin] = configured
    ? [resolve(configured), 'bootstrap.model']
    : fromEnv
      ? [resolve(fromEnv), 'QCC_MODEL_PATH']
      : [defaultModelPath(), 'the default location'];
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new Error(
      `LLM model file not found: ${path} (from ${origin}). Run \`npm run fetch-model\` to download the default model, ` +
        'or set QCC_MODEL_PATH / bootstrap.model to an existing GGUF file.',
    );
  }
  return path;
}
