import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliResult, qcc, repo, tempDir } from './helpers.js';

export interface DemoRun {
  /** The out folder the demo published into (`<out>/qcc-demo/v0001`). */
  out: string;
  versionDir: string;
  first: CliResult;
  /** The demo's own LLM and vector cache (out/.cache), shared by every demo run of the suite. */
  env: Record<string, string>;
}

let run: Promise<DemoRun> | undefined;

/**
 * The demo config published once per test file (tests/demo.e2e.test.ts and the report suite it runs): the longest
 * fixture of the suite, built once. Tests that change what they read copy the dataset folder first.
 */
export function demoRun(): Promise<DemoRun> {
  run ??= (async () => {
    const root = await tempDir('qcc-demo-');
    const env = { QCC_CACHE_DIR: process.env.QCC_CACHE_DIR ?? join(repo, 'out', '.cache') };
    const out = join(root, 'a');
    const first = await qcc(['run', '--config', join(repo, 'config', 'demo.yaml'), '--out', out], env);
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    expect(first.stdout).toMatch(/published v0001 \(parent: none\)/);
    return { out, versionDir: join(out, 'qcc-demo', 'v0001'), first, env };
  })();
  return run;
}
