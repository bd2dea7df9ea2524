import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveSharedData, newsCorpus, qcc, repo, tempDir } from './helpers.js';

const seedOnly = join(repo, 'config', 'relevance-20news-seed-only.yaml');
const positives = ['--positive', 'medicine=sci.med', '--positive', 'space=sci.space'];

/** `qcc eval domain` on a real published version: the seed-only BM25 run over the 20 Newsgroups posts (no model needed). */
describe.runIf(haveSharedData())('qcc eval domain', () => {
  let out: string;
  let tmp: string;
  const evalArgs = (...more: string[]) => ['eval', 'domain', 'v0001', '--config', seedOnly, '--out', out, ...more];

  beforeAll(async () => {
    tmp = await tempDir('qcc-rel-eval-');
    out = join(tmp, 'out');
    const run = await qcc(['run', '--config', seedOnly, '--out', out]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
  }, 600_000);

  it('measures precision and recall per domain and funnel stage against the labels', async () => {
    const res = await qcc(evalArgs('--labels', newsCorpus, '--field', 'label', ...positives, '--json'));
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as {
      domains: {
        domain: string;
        total: number;
        stages: { stage: string; docs: number; labelled: number; correct: number; precision: number; recall: number }[];
      }[];
    };
    const med = report.domains.find(d => d.domain === 'medicine')!;
    expect(med.total).toBe(594); // sci.med posts in the training split
    expect(med.stages.map(s => s.stage)).toEqual(['retrieved', 'published']);
    for (const s of med.stages) {
      expect(s.labelled).toBe(s.docs); // every document of this run is a labelled post
      expect(s.precision).toBeCloseTo(s.correct / s.labelled, 3);
      expect(s.recall).toBeCloseTo(s.correct / 594, 3);
    }
    // Six medical seeds alone find a small, clean slice of sci.med.
    expect(med.stages[0]!.precision).toBeGreaterThan(0.8);
    expect(med.stages[0]!.recall).toBeLessThan(0.5);
    const table = await qcc(evalArgs('--labels', newsCorpus, '--field', 'label', ...positives));
    expect(table.stdout).toMatch(/medicine\s+sci\.med\s+retrieved\s+\d+\s+\d+\s+\d+\s+0\.\d{3}\s+0\.\d{3}/);
  }, 120_000);

  it('names the file and the field when the labels file lacks the field', async () => {
    const bad = join(tmp, 'no-field.jsonl');
    await writeFile(
      bad,
      '{"id": "train/sci.med/58043", "label": "sci.med"}\n{"id": "train/sci.med/58044", "topic": "sci.med"}\n',
    );
    const res = await qcc(evalArgs('--labels', bad, '--field', 'label', ...positives));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${bad}: line 2 has no field "label"`);
  });

  it('rejects a label the file does not hold, and a domain the version does not hold', async () => {
    const unknownLabel = await qcc(
      evalArgs('--labels', newsCorpus, '--field', 'label', '--positive', 'medicine=sci.medicine'),
    );
    expect(unknownLabel.code).toBe(1);
    expect(unknownLabel.stderr).toMatch(
      /label "sci\.medicine" does not occur in .*20news-bydate-train\.jsonl\.gz \(labels there: alt\.atheism, /,
    );
    const unknownDomain = await qcc(
      evalArgs('--labels', newsCorpus, '--field', 'label', '--positive', 'biology=sci.med'),
    );
    expect(unknownDomain.code).toBe(1);
    expect(unknownDomain.stderr).toMatch(
      /domain "biology" has no documents in .*v0001 \(domains there: cryptography, electronics, medicine, space\)/,
    );
    const badSpec = await qcc(evalArgs('--labels', newsCorpus, '--field', 'label', '--positive', 'medicine'));
    expect(badSpec.stderr).toContain('expected <domain>=<label>');
  });
});
