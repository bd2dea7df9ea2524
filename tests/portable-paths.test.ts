import { describe, expect, it } from 'vitest';
import { portablePath, portablePaths } from '../pipeline/portable-paths.js';

const roots = { out: '/w/qcc/out', cache: '/w/qcc/out/.cache', input_root: '/data/shared', checkout: '/w/qcc' };

describe('portable paths in a published manifest', () => {
  it('names the most specific folder holding a path, and keeps other paths and relative ones as written', () => {
    expect(portablePath('/w/qcc/out/.cache', roots)).toBe('<cache>');
    expect(portablePath('/w/qcc/out/.cache/llm/ab', roots)).toBe('<cache>/llm/ab');
    expect(portablePath('/w/qcc/out/eval', roots)).toBe('<out>/eval');
    expect(portablePath('/w/qcc/data/seeds/demo.csv', roots)).toBe('<checkout>/data/seeds/demo.csv');
    expect(portablePath('/data/shared/cc/a.warc.gz', roots)).toBe('<input_root>/cc/a.warc.gz');
    expect(portablePath('/w/qcc-other/x', roots)).toBe('/w/qcc-other/x');
    expect(portablePath('s3://bucket/key', roots)).toBe('s3://bucket/key');
    expect(portablePath('relative/file', roots)).toBe('relative/file');
  });

  it('rewrites every string of a config, in arrays and nested objects, without changing the input', () => {
    const config = {
      out: '/w/qcc/out',
      seeds: { files: ['/w/qcc/data/seeds/demo.csv'], seeds_per_shard: 6 },
      ingest: { warc: ['/data/shared/cc/a.warc.gz'], min_text_chars: 200 },
    };
    const before = JSON.stringify(config);
    expect(portablePaths(config, { ...roots, input_root: undefined })).toEqual({
      out: '<out>',
      seeds: { files: ['<checkout>/data/seeds/demo.csv'], seeds_per_shard: 6 },
      ingest: { warc: ['/data/shared/cc/a.warc.gz'], min_text_chars: 200 },
    });
    expect(JSON.stringify(config)).toBe(before);
  });
});
