import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Doc } from '../core/types.js';
import { testContext } from './stage-context.js';
import { ingestConfigSchema, readArchive, type IngestConfigInput } from '../stages/ingest/index.js';
import { ExtractPool } from '../stages/ingest/extract-pool.js';
import { cc, haveSharedData } from './helpers.js';

async function read(file: string, config: IngestConfigInput) {
  const ctx = testContext(ingestConfigSchema.parse(config));
  const docs: Doc[] = [];
  let error: unknown;
  try {
    for await (const d of readArchive(file, ctx)) docs.push(d);
  } catch (e) {
    error = e;
  }
  return { docs, counters: ctx.counters.toJSON(), error };
}

describe.runIf(haveSharedData())('readArchive with extract workers', () => {
  const files = () =>
    ['commoncrawl', 'other', 'malformed'].flatMap(d =>
      readdirSync(cc(d))
        .filter(n => /\.warc(\.(wet|wat))?\.gz$/.test(n))
        .map(n => cc(join(d, n))),
    );

  it('gives the same documents, in the same order, and the same counters as the main thread, for every real sample', async () => {
    const all = files();
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const file of all) {
      const one = await read(file, { on_error: 'skip' });
      const two = await read(file, { on_error: 'skip', workers: 2 });
      expect(two.docs, file).toEqual(one.docs);
      expect(two.counters, file).toEqual(one.counters);
    }
  });

  it('the documents read before a fault come out before the error, as on the main thread', async () => {
    const file = cc('malformed/clipped.warc.gz');
    expect(statSync(file).size).toBeGreaterThan(0);
    const one = await read(file, { on_error: 'fail' });
    const two = await read(file, { on_error: 'fail', workers: 2 });
    expect(one.error).toBeDefined();
    expect((two.error as Error).message).toBe((one.error as Error).message);
    expect(two.docs).toEqual(one.docs);
  });

  it('a consumer that stops early leaves no worker behind', async () => {
    const probe = readArchive(cc('other/sample-0000.warc.gz'), testContext(ingestConfigSchema.parse({ workers: 2 })));
    await probe.next();
    expect(ExtractPool.live).toBe(2);
    await probe.return(undefined);
    expect(ExtractPool.live).toBe(0);
    const ctx = testContext(ingestConfigSchema.parse({ workers: 2, min_text_chars: 0 }));
    let n = 0;
    for await (const d of readArchive(cc('other/sample-0000.warc.gz'), ctx)) {
      expect(d.text.length).toBeGreaterThan(0);
      if (++n === 2) break;
    }
    expect(n).toBe(2);
    expect(ExtractPool.live).toBe(0);
  });
});
