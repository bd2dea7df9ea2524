import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/types.js';
import { openRun } from '../pipeline/run.js';
import { createSteps, STEP_NAMES } from '../pipeline/steps/all.js';
import { haveSharedData, qcc, repo, tempDir } from './helpers.js';

/** The run's steps for a config: names in order, and what each waits for. */
async function stepsOf(config: string): Promise<{ name: string; after: string[] }[]> {
  const ctx = await openRun(config, await tempDir('qcc-steps-'), silentLogger);
  const { steps, close } = await createSteps(ctx);
  await close();
  return steps.map(s => ({ name: s.name, after: s.after }));
}

describe.runIf(haveSharedData())('the step registry', () => {
  it('builds the relevance loop in place when it is enabled, and leaves it out when not', async () => {
    // retrieve.mode: index (the default): no streaming steps.
    const indexed = STEP_NAMES.filter(n => !n.startsWith('stream_'));
    const withLoop = await stepsOf(join(repo, 'config', 'relevance-20news.yaml'));
    expect(withLoop.map(s => s.name)).toEqual(indexed);
    const without = await stepsOf(join(repo, 'config', 'relevance-20news-seed-only.yaml'));
    expect(without.map(s => s.name)).toEqual(indexed.filter(n => !n.startsWith('relevance')));
    for (const steps of [withLoop, without]) {
      // Every step waits only for steps before it; each document step for the document step before it.
      steps.forEach((s, i) =>
        expect(
          s.after.every(d => steps.slice(0, i).some(p => p.name === d)),
          s.name,
        ).toBe(true),
      );
    }
    expect(withLoop.find(s => s.name === 'filter')!.after).toEqual(['relevance']);
    expect(without.find(s => s.name === 'filter')!.after).toEqual(['candidates']);
    expect(withLoop.find(s => s.name === 'publish')!.after).toEqual(['dedup_apply', 'relevance_estimate']);
  });

  it('is what `qcc run --help` lists for --stage', async () => {
    const help = await qcc(['run', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(STEP_NAMES.join(', '));
  });
});
