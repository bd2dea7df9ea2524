import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import type { Manifest } from '../stages/write/manifest.js';
import type { RelevanceSummary } from '../stages/relevance/model-file.js';
import { haveModel, haveSharedData, qcc, tempDir } from './helpers.js';
import { writeRelevanceConfig } from './relevance-helpers.js';

/**
 * A judge prompt whose examples answer "no" for the very same text makes the real model copy the no: those
 * domains get no positive judgement, and the run must say so and skip their classifiers, not crash. (The judge
 * check against random documents is off here: it would flag this judge as answering one way and not use it at all,
 * see tests/relevance-loop.test.ts.)
 */
const NAY_PROMPT = `# version: relevance-judge-nay.test
Question: is the text about the topic? Answer: yes or no.

Topic: {{topic}}
Text: "{{document}}"
Answer: no

Topic: {{topic}}
Text: "{{document}}"
Answer: no

Topic: {{topic}}
Text: "{{document}}"
Answer:
`;

describe.runIf(haveSharedData() && haveModel())('relevance: a domain with no positive judgements', () => {
  let root: string;
  let run: Awaited<ReturnType<typeof qcc>>;

  beforeAll(async () => {
    root = await tempDir('qcc-rel-nay-');
    const prompt = join(root, 'nay.txt');
    await writeFile(prompt, NAY_PROMPT);
    const config = await writeRelevanceConfig(
      root,
      `  enabled: true\n  judge: { per_query: 1, max_judgements: 4, doc_words: 25, prompt: ${prompt}, controls_per_domain: 0 }\n  classifier: { self_training_rounds: 0 }\n  recall_round: false\n  estimate: { enabled: false }\n  semantic_boundary: { enabled: false }`,
    );
    run = await qcc(['run', '--config', config]);
  }, 900_000);

  it('warns, skips the classifier of each such domain and keeps its documents unfiltered', async () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const work = join(root, 'out', 'rel-test', '.work');
    const [hash] = (await import('node:fs')).readdirSync(work);
    const summary = JSON.parse(readFileSync(join(work, hash!, 'relevance', 'model.json'), 'utf8')) as RelevanceSummary;
    const judgements = await readAllJsonl<{ domain: string; on_domain: boolean | null }>(
      join(work, hash!, 'relevance', 'judgements.jsonl.gz'),
    );
    const nay = [...new Set(judgements.map(j => j.domain))].filter(d =>
      judgements.filter(j => j.domain === d).every(j => j.on_domain === false),
    );
    expect(nay.length, JSON.stringify(judgements)).toBeGreaterThan(0);
    for (const d of nay) {
      expect(summary.domains[d]!.skipped).toMatch(
        /^no positive judgements \(\d+ judged, all off-domain\): classifier skipped/,
      );
      expect(summary.domains[d]!.threshold).toBeNull();
      expect(run.stdout + run.stderr).toContain(`relevance: domain ${d}: no positive judgements`);
    }
    const version = join(root, 'out', 'rel-test', 'v0001');
    const manifest = JSON.parse(readFileSync(join(version, 'manifest.json'), 'utf8')) as Manifest;
    for (const d of nay) {
      const docs: Doc[] = [];
      for (const s of manifest.shards.filter(s => s.path.startsWith(`data/${d}/`)))
        docs.push(...(await readAllJsonl<Doc>(join(version, s.path))));
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) expect(doc.relevance).toMatchObject({ found_by: 'bm25' });
      expect(docs.every(doc => doc.relevance!.score == null)).toBe(true); // null in the one record schema
    }
  });
});
