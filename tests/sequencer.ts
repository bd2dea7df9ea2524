import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that start first, in this order: the demo (it fills the shared LLM and vector caches on a fresh clone),
 * then the longest files, so that the two workers finish together. The files that rerun the demo's inputs
 * (stream-retrieve, report-browser; demo.e2e runs the report suite on its own version) come late enough to find those caches filled; the rest follow
 * in vitest's own order (longest last time, else largest).
 */
const FIRST = [
  'demo.e2e',
  'bootstrap-llama',
  'bootstrap-step',
  'provenance',
  'index-es-bad-input',
  'faults-lifecycle',
  'bootstrap-serve',
  'relevance-guards',
  'lock',
  'incremental',
  'resume',
  'cli',
  'relevance-loop',
  'faults-s3',
  'stream-retrieve',
  'report-browser',
];

const rank = (spec: TestSpecification) => {
  const i = FIRST.indexOf(basename(spec.moduleId).replace(/\.test\.ts$/, ''));
  return i < 0 ? FIRST.length : i;
};

export default class DemoFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byVitest = await super.sort(files);
    return byVitest
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}
