import type { Manifest } from './manifest.js';

/** A dataset card whose YAML header Hugging Face `datasets` reads: one config per domain. */
export function datasetCard(manifest: Manifest): string {
  const domains = Object.keys(manifest.domains).sort();
  const header = [
    '---',
    'license: other',
    'language:',
    '- en',
    'pretty_name: ' + JSON.stringify(`${manifest.dataset} ${manifest.version}`),
    'configs:',
    ...domains.flatMap((d, i) => [
      `- config_name: ${d}`,
      ...(i === 0 ? ['  default: true'] : []),
      '  data_files:',
      '  - split: train',
      `    path: data/${d}/*.jsonl.gz`,
    ]),
    '---',
  ];
  const rows = domains.map((d) => `| ${d} | ${manifest.domains[d]!.records} | ${manifest.domains[d]!.bytes} |`);
  const funnel = manifest.funnel.map(
    (f) => `| ${f.step} | ${f.in} | ${f.out} | ${Object.entries(f.removed).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'} |`,
  );
  return [
    ...header,
    '',
    `# ${manifest.dataset} ${manifest.version}`,
    '',
    'Built by qcc (Query of CC): domain seeds were extended into queries by a language model, the queries',
    'retrieved documents by BM25 from Common Crawl records and pre-extracted corpora, and the hits were',
    'deduplicated and written as compressed JSONL, one folder per domain.',
    '',
    '## Composition',
    '',
    '| domain | documents | bytes (gzip) |',
    '|---|---|---|',
    ...rows,
    '',
    '## Collection and preprocessing',
    '',
    `- Queries: ${manifest.inputs.queries.count} (seeds plus question extension; lineage in \`queries.jsonl.gz\`).`,
    `- Inputs: ${manifest.inputs.archives.length} archive file(s), ${manifest.inputs.corpora.length} corpus file(s); checksums in \`manifest.json\`.`,
    '',
    '| step | in | out | removed |',
    '|---|---|---|---|',
    ...funnel,
    '',
    '## Provenance',
    '',
    'Every record keeps `source` (crawl, WARC file, offset and length, record id; or corpus file and line)',
    'and `retrieval.hits` (the queries that found it, with BM25 score and rank).',
    '',
    '## Limitations',
    '',
    'Content belongs to its original authors and sites; check the terms of the underlying sources before use.',
    'BM25 hits are not guaranteed to be on-domain.',
    '',
  ].join('\n');
}
