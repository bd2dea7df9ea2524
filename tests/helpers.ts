import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { slowTier } from './tier.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sharedData = resolve(process.env.QCC_SHARED_DATA ?? join(repo, '..', 'shared', 'data'));
export const inCI = process.env.CI === 'true';
export { slowTier };
/** A case of the slow tier (tests/tier.ts). */
export const itSlow = it.runIf(slowTier);

export const cc = (name: string) => join(sharedData, 'cc', name);
export const newsCorpus = join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz');

/** True when the shared data is here; under CI its absence is a failure, elsewhere a clear skip. */
export function haveSharedData(): boolean {
  const ok = existsSync(join(sharedData, 'cc')) && existsSync(newsCorpus);
  if (!ok && inCI) throw new Error(`CI=true but the shared data is missing at ${sharedData}`);
  if (!ok) console.warn(`skipping: shared data not found at ${sharedData} (set QCC_SHARED_DATA)`);
  return ok;
}

export function modelPath(): string {
  return process.env.QCC_MODEL_PATH ?? join(repo, '.models', 'gemma-3-270m-q4_k_m.gguf');
}

export function haveModel(): boolean {
  const ok = existsSync(modelPath());
  if (!ok && inCI) throw new Error(`CI=true but the model is missing at ${modelPath()}: run \`npm run fetch-model\``);
  if (!ok) console.warn(`skipping: no local model at ${modelPath()} (run \`npm run fetch-model\`)`);
  return ok;
}

export async function tempDir(prefix = 'qcc-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startQcc(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(repo, 'bin', 'qcc.js'), ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // Decoded as a stream: a character whose UTF-8 bytes straddle two chunks stays whole.
  child.stdout!.setEncoding('utf8').on('data', d => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', d => (stderr += d));
  const done = new Promise<CliResult>(resolveDone => {
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function qcc(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startQcc(args, env).done;
}
