import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cc, haveSharedData, qcc, repo, tempDir } from './helpers.js';

const seeds = join(repo, 'data', 'seeds', 'demo.csv');

function configText(opts: { seeds?: string; warc?: string[]; extra?: string } = {}): string {
  const warc = opts.warc ?? [cc('other/sample-0000.warc.gz'), cc('other/sample-0001.warc.gz')];
  return `dataset: bad
seeds: { files: [${opts.seeds ?? seeds}] }
bootstrap: { provider: none }
ingest:
  warc: [${warc.join(', ')}]
${opts.extra ?? ''}`;
}

describe.runIf(haveSharedData())('bad input: clear error, non-zero exit, published versions untouched', () => {
  let dir: string;
  let out: string;
  let publishedManifest: string;

  const snapshot = () => ({
    entries: readdirSync(join(out, 'bad'))
      .filter(n => !n.startsWith('.'))
      .sort(),
    latest: readFileSync(join(out, 'bad', 'LATEST'), 'utf8'),
    manifest: readFileSync(publishedManifest, 'utf8'),
  });

  async function runWith(name: string, text: string) {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, text);
    const before = snapshot();
    const result = await qcc(['run', '--config', file, '--out', out]);
    expect(result.code).not.toBe(0);
    expect(snapshot()).toEqual(before);
    return result.stderr;
  }

  beforeAll(async () => {
    dir = await tempDir('qcc-bad-');
    out = join(dir, 'out');
    await writeFile(join(dir, 'good.yaml'), configText());
    const good = await qcc(['run', '--config', join(dir, 'good.yaml'), '--out', out]);
    expect(good.code, good.stderr).toBe(0);
    publishedManifest = join(out, 'bad', 'v0001', 'manifest.json');
  });

  it('an empty seeds file is named', async () => {
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, '');
    const stderr = await runWith('empty-seeds', configText({ seeds: empty }));
    expect(stderr).toContain(empty);
    expect(stderr).toMatch(/no seeds|empty/i);
  });

  it('a missing WARC path is named with its key', async () => {
    const stderr = await runWith('missing-warc', configText({ warc: [join(dir, 'nowhere.warc.gz')] }));
    expect(stderr).toMatch(/key `ingest\.warc\[0\]`: file not found: .*nowhere\.warc\.gz/);
  });

  it('a truncated gzip member is named with the file and offset', async () => {
    const clipped = cc('malformed/clipped.warc.gz');
    const stderr = await runWith('truncated', configText({ warc: [cc('other/sample-0000.warc.gz'), clipped] }));
    expect(stderr).toContain(clipped);
    expect(stderr).toMatch(/offset \d+/);
  });

  it('an unknown config key is named', async () => {
    const stderr = await runWith('unknown-key', configText({ extra: 'retrieve: { top_k: 5, colour: blue }\n' }));
    expect(stderr).toMatch(/key `retrieve\.colour`: unknown key/);
  });
});
