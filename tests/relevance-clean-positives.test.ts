import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import { Counters, type Doc, type Query } from '../core/types.js';
import { cleanPositives } from '../stages/relevance/clean-positives.js';
import { relevanceConfigSchema } from '../stages/relevance/config.js';
import { openEmbedderOrSkip } from './embed-helpers.js';
import { haveSharedData, itSlow, newsCorpus, repo, tempDir } from './helpers.js';
import { sharedCacheDir } from './relevance-helpers.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

/** The demo's seeds as queries: medicine, space, electronics, cryptography. */
function demoQueries(): Map<string, Query> {
  const rows = readFileSync(join(repo, 'data', 'seeds', 'demo.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return new Map(
    rows.map((row, i) => {
      const [domain, , , ...text] = row.split(',');
      const q: Query = {
        id: `q-${i}`,
        domain: domain!,
        text: text.join(','),
        lineage: { seed_id: `s-${i}`, round: 0, method: 'seed' },
      };
      return [q.id, q];
    }),
  );
}

// Slow tier: `classifier.clean_positives` is off by default, and a cold run embeds ~1,400 passages (~1 min).
describe.runIf(haveSharedData())('weak positives checked by the semantic judge (real posts, real embedder)', () => {
  itSlow('takes sci.med posts out of the space positives and keeps the sci.space ones', async () => {
    const probe = await openEmbedderOrSkip({ threads: 1 });
    if (!probe) return;
    await probe.close();
    const posts: Doc[] = [];
    const space: string[] = [];
    const med: string[] = [];
    for await (const r of readJsonl<{ id: string; label: string; text: string }>(newsCorpus)) {
      if (r.label === 'sci.space' && space.length < 6) space.push(r.id);
      else if (r.label === 'sci.med' && med.length < 3) med.push(r.id);
      else if (posts.length > 300) continue;
      posts.push({ id: r.id, text: r.text } as Doc);
      if (space.length === 6 && med.length === 3 && posts.length > 300) break;
    }
    const evidence = new Map([['space', { positives: new Set([...space, ...med]), negatives: new Set<string>() }]]);
    const counters = new Counters();
    const removed = await cleanPositives({
      config: relevanceConfigSchema.parse({ enabled: true }),
      evidence,
      queries: demoQueries(),
      scan: async function* () {
        yield* posts;
      },
      embedCacheDir: join(process.env.QCC_CACHE_DIR ? sharedCacheDir() : await tempDir('qcc-clean-'), 'embed'),
      log: silent,
      counters,
    });
    const kept = evidence.get('space')!.positives;
    for (const id of med) expect(kept.has(id), `${id} (sci.med) still a space positive`).toBe(false);
    expect(space.filter(id => kept.has(id)).length).toBeGreaterThanOrEqual(5);
    expect(removed.space).toBe(9 - kept.size);
    expect(counters.get('relevance.positives.cleaned')).toBe(removed.space);
  });
});
