/**
 * The Elasticsearch index of a run is named by its dataset and run id, no longer by taking the index path apart:
 * the names are those the path rule gave (`<prefix>-<dataset folder>-<run folder>`), so existing indices are found.
 */
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/types.js';
import { openRun } from '../pipeline/run.js';
import { indexOwner } from '../pipeline/steps/run-index.js';
import { indexConfigSchema } from '../stages/index/config.js';
import { elasticIndexName } from '../stages/index/open.js';
import { haveSharedData, repo, tempDir } from './helpers.js';

const es = (elasticsearch: Record<string, unknown> = {}) =>
  indexConfigSchema.parse({ backend: 'elasticsearch', elasticsearch });

describe('the Elasticsearch index name', () => {
  it('is <prefix>-<dataset>-<run>, lower case, unless index.elasticsearch.index names it', () => {
    const run = '3f9c2a7be41d0c55';
    expect(elasticIndexName(es(), { dataset: 'qcc-demo', run })).toBe('qcc-qcc-demo-3f9c2a7be41d0c55');
    expect(elasticIndexName(es({ index_prefix: 'lab' }), { dataset: 'News_Set.v2', run: 'AB12' })).toBe(
      'lab-news_set.v2-ab12',
    );
    expect(elasticIndexName(es({ index: 'shared-bm25' }), { dataset: 'qcc-demo', run })).toBe('shared-bm25');
    expect(elasticIndexName(es({ index: 'shared-bm25' }))).toBe('shared-bm25');
    expect(() => elasticIndexName(es())).toThrow(/index\.elasticsearch\.index is not set and no run names the index/);
  });

  it.runIf(haveSharedData())("of a run is named after the run's work folder, as the index path gave it", async () => {
    const out = await tempDir('qcc-index-name-');
    const ctx = await openRun(join(repo, 'config', 'demo.yaml'), out, silentLogger);
    // The work folder is <out>/<dataset>/.work/<run>: the old rule read the dataset and run from there.
    expect(ctx.paths.index).toBe(join(out, 'qcc-demo', '.work', basename(ctx.paths.work), 'index.sqlite'));
    expect(basename(ctx.paths.work)).toMatch(/^[0-9a-f]{8,}$/);
    expect(elasticIndexName(es(), indexOwner(ctx))).toBe(`qcc-qcc-demo-${basename(ctx.paths.work)}`);
  });
});
