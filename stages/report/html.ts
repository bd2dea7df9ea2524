import { qualityRows } from '../relevance/quality-summary.js';
import { basename } from 'node:path';
import type { QueryYield } from '../relevance/yield.js';
import type { Manifest } from '../write/manifest.js';
import type { ReportStats, SampleDoc } from './stats.js';
import { barChart, columnChart, distinctColours, esc, fmt, stackedBarChart, type Segment } from './svg.js';
import { REPORT_CSS } from './style.js';

function figure(title: string, chart: string, note = ''): string {
  return `<figure class="chart">${chart}<figcaption>${esc(title)}${note ? ` <span class="note">${note}</span>` : ''}</figcaption></figure>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function table(head: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  const cell = (v: string | number, i: number, tag: string) =>
    `<${tag}${numeric[i] ? ' class="num"' : ''}>${typeof v === 'number' ? fmt(v) : v}</${tag}>`;
  return (
    `<table><thead><tr>${head.map((h, i) => cell(esc(h), i, 'th')).join('')}</tr></thead>` +
    `<tbody>${rows.map(r => `<tr>${r.map((v, i) => cell(v, i, 'td')).join('')}</tr>`).join('')}</tbody></table>`
  );
}

function overview(manifest: Manifest, stats: ReportStats): string {
  const docs = Object.values(stats.domains).reduce((n, d) => n + d.docs, 0);
  const tokens = Object.values(stats.domains).reduce((n, d) => n + d.tokens, 0);
  const facts: [string, string][] = [
    ['documents', fmt(docs)],
    ['tokens', fmt(tokens)],
    ['domains', String(Object.keys(stats.domains).length)],
    ['queries', fmt(manifest.inputs.queries.count)],
    ['parent', manifest.parent ?? 'none'],
    ['created', manifest.created],
    ['run id', manifest.run_id],
    [
      'code',
      `qcc ${manifest.code_version.package}${manifest.code_version.git ? ` (${manifest.code_version.git.slice(0, 12)})` : ''}`,
    ],
  ];
  return (
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>` +
    `<p class="note">Token counts: ${esc(stats.tokenizer)}. Charts are inline SVG; hover a bar for its exact value.</p>`
  );
}

function domainsSection(manifest: Manifest, stats: ReportStats): string {
  const names = Object.keys(stats.domains);
  const rows = names.map(d => {
    const t = stats.domains[d]!;
    return [esc(d), t.docs, t.tokens, t.docs ? Math.round(t.tokens / t.docs) : 0, manifest.domains[d]?.bytes ?? 0];
  });
  return (
    `<div class="grid">` +
    figure(
      'Documents per domain',
      barChart(
        'domain-docs',
        names.map(d => ({ label: d, value: stats.domains[d]!.docs })),
        { width: 460 },
      ),
    ) +
    figure(
      'Tokens per domain',
      barChart(
        'domain-tokens',
        names.map(d => ({ label: d, value: stats.domains[d]!.tokens })),
        { width: 460, className: 'c1' },
      ),
    ) +
    `</div>` +
    table(['domain', 'documents', 'tokens', 'tokens / doc', 'bytes (gzip)'], rows, [false, true, true, true, true])
  );
}

function funnelSection(manifest: Manifest): string {
  const rules = [
    ...new Set(
      manifest.funnel.flatMap(f =>
        Object.entries(f.removed)
          .filter(([, n]) => n > 0)
          .map(([r]) => r),
      ),
    ),
  ];
  const colours = distinctColours(rules.length);
  const rows = manifest.funnel.map(f => ({
    label: f.step,
    segments: [
      { name: 'kept', value: f.out, className: 'c0' },
      ...Object.entries(f.removed).map(
        ([rule, n]): Segment => ({
          name: rule,
          value: n,
          className: 'removed',
          fill: colours[rules.indexOf(rule)],
          minWidth: 3,
        }),
      ),
    ],
  }));
  const removals = manifest.funnel.flatMap(f =>
    Object.entries(f.removed)
      .filter(([, n]) => n > 0)
      .map(([rule, n]) => ({ step: f.step, rule, n })),
  );
  const removedRows = removals.map(r => [esc(r.step), esc(r.rule), r.n]);
  return (
    figure(
      'Documents in and out of each step (kept + removed by rule)',
      stackedBarChart('funnel', rows, { width: 900 }),
      'Each removal is drawn at least 3 px wide so that small ones show; the chart below gives them their own scale.',
    ) +
    (removals.length
      ? figure(
          'Documents removed, by step and rule (log scale, so that a rule that removed 1 document shows beside one that removed thousands)',
          barChart(
            'removed',
            removals.map(r => ({ label: `${r.step}: ${r.rule}`, value: r.n })),
            { width: 900, labelChars: 48, className: 'c2', log: true },
          ),
        )
      : '') +
    table(
      ['step', 'in', 'out'],
      manifest.funnel.map(f => [esc(f.step), f.in, f.out]),
      [false, true, true],
    ) +
    (removedRows.length ? table(['step', 'removed by', 'documents'], removedRows, [false, false, true]) : '')
  );
}

function lengthSection(stats: ReportStats): string {
  const cols = stats.lengths.map(b => ({
    label: b.lo === 0 ? '0' : fmt(b.lo),
    value: b.count,
    title: `${fmt(b.lo)}–${fmt(b.hi - 1)} tokens: ${fmt(b.count)} documents`,
  }));
  return figure(
    'Documents by length in tokens (bins double in width; label = lower bound)',
    columnChart('lengths', cols, { width: 900, labelEvery: 1, className: 'c1' }),
  );
}

function languageSection(stats: ReportStats): string {
  return figure(
    'Documents by language (identified at ingest)',
    barChart(
      'languages',
      stats.languages.map(l => ({ label: l.name, value: l.count })),
      { width: 640, labelChars: 12 },
    ),
  );
}

function timeSection(stats: ReportStats): string {
  if (stats.months.length === 0)
    return `<p class="empty">No dated Common Crawl records in this version (${fmt(stats.undated)} documents come from corpora without timestamps).</p>`;
  const cols = stats.months.map(m => ({ label: m.name, value: m.count }));
  return (
    figure(
      'Common Crawl records by capture month (WARC-Date)',
      columnChart('timestamps', cols, { width: 900 }),
      `${fmt(stats.undated)} documents without a timestamp (corpora) are not shown.`,
    ) +
    table(
      ['crawl', 'documents'],
      stats.crawls.map(c => [esc(c.name), c.count]),
      [false, true],
    )
  );
}

function sitesSection(stats: ReportStats): string {
  const sites = stats.sites.top.length
    ? figure(
        `Top ${stats.sites.top.length} sites by documents`,
        barChart(
          'sites',
          stats.sites.top.map(s => ({ label: s.name, value: s.count })),
          { width: 640, labelChars: 36 },
        ),
        `${fmt(stats.sites.withoutUrl)} documents have no URL (corpora).${stats.sites.exact ? '' : ' Counts past the top sites are approximate (bounded memory).'}`,
      )
    : `<p class="empty">No document in this version has a URL.</p>`;
  return (
    sites +
    figure(
      'Documents by input file',
      barChart(
        'sources',
        stats.sources.map(s => ({ label: s.name, value: s.count })),
        { width: 640, labelChars: 48, className: 'c1' },
      ),
    )
  );
}

function queriesSection(manifest: Manifest, stats: ReportStats): string {
  const q = stats.queries;
  const topK = (manifest.config as { retrieve?: { top_k?: number } } | undefined)?.retrieve?.top_k;
  const capped = topK ? q.top.filter(y => y.docs >= topK).length : 0;
  // When every kept document was found by several queries, no query has documents of its own: bars show kept documents.
  const own = q.top.some(y => y.exclusive > 0);
  return (
    figure(
      own
        ? `The ${q.top.length} queries with the highest yield: kept documents that no other query found (ties: kept documents, then mean BM25 score)`
        : `The ${q.top.length} queries with the most kept documents (every kept document was found by more than one query; ties: mean BM25 score)`,
      barChart(
        'queries',
        q.top.map(y => ({
          label: y.text,
          value: own ? y.exclusive : y.docs,
          title: `${y.text} (${y.domain}, ${y.method}): ${y.exclusive} found only by it, ${y.docs} kept, mean BM25 ${y.mean_score.toFixed(2)}`,
        })),
        { width: 900, labelChars: 60 },
      ),
      `${fmt(q.withDocs)} of ${fmt(q.total)} queries retrieved at least one kept document.` +
        (capped
          ? ` ${fmt(capped)} of the queries shown kept ${fmt(topK!)} documents, the most retrieval gives a query (retrieve.top_k), so kept documents alone do not rank them.`
          : '') +
        (stats.models.length
          ? ` Generated queries written by ${stats.models.map(m => `${esc(m.name)} (${fmt(m.count)})`).join(', ')}`
          : '') +
        (stats.prompts.length ? ` with prompt ${stats.prompts.map(p => esc(p.name)).join(', ')}.` : ''),
    ) +
    table(
      ['query', 'domain', 'method', 'found only by it', 'kept documents', 'mean BM25'],
      q.top.map(y => [esc(y.text), esc(y.domain), esc(y.method), y.exclusive, y.docs, (y.mean_score ?? 0).toFixed(2)]),
      [false, false, false, true, true, true],
    )
  );
}

/** With the relevance step: estimated precision per domain, on-domain documents removed, and every guard warning. */
function qualitySection(manifest: Manifest): string {
  const { rows, notes } = qualityRows(manifest.relevance);
  return (
    table(
      ['domain', 'published', 'estimated precision', 'on-domain among those relevance removed', 'warning'],
      rows.map(r => [esc(r.domain), r.published, esc(r.precision), esc(r.removedOnDomain), esc(r.warning)]),
      [false, true, false, false, false],
    ) + notes.map(n => `<p class="note">${esc(n)}</p>`).join('')
  );
}

/** With the relevance step: each query's judged precision and its confidence interval, pruned ones marked. */
function relevanceSection(manifest: Manifest): string {
  const yields = ((manifest.relevance?.yields ?? []) as QueryYield[]).filter(y => y.judged > 0);
  const judge = manifest.relevance?.judge as
    | { judged?: number; on_domain?: number; calls?: number; model?: string | null }
    | undefined;
  const rows = [...yields].sort((a, b) => (a.yield ?? -1) - (b.yield ?? -1) || a.text.localeCompare(b.text));
  return (
    `<p>${fmt(judge?.judged ?? 0)} documents judged by ${esc(judge?.model ?? 'the configured model')} (${fmt(judge?.on_domain ?? 0)} on-domain, ` +
    `${fmt(judge?.calls ?? 0)} model calls); ${fmt(((manifest.relevance?.pruned_queries ?? []) as string[]).length)} queries pruned. Lowest yield first.</p>` +
    table(
      ['query', 'domain', 'hits', 'judged', 'on-domain', 'yield', 'interval', 'pruned'],
      rows.map(y => [
        esc(y.text),
        esc(y.domain),
        y.hits,
        y.judged,
        y.on_domain,
        y.yield === null ? '–' : y.yield.toFixed(2),
        `${y.low.toFixed(2)}–${y.high.toFixed(2)}`,
        y.pruned ? 'yes' : '',
      ]),
      [false, false, true, true, true, true, false, false],
    )
  );
}

function provenance(doc: SampleDoc): string {
  const s = doc.source;
  const parts =
    s.kind === 'corpus'
      ? [
          `corpus <code>${esc(basename(s.file))}</code>`,
          `line ${s.line}`,
          `original id <code>${esc(s.original_id)}</code>`,
        ]
      : [
          `${esc(s.kind)} <code>${esc(basename(s.warc_file))}</code>`,
          `offset ${s.offset}, length ${s.length}`,
          s.crawl ? `crawl ${esc(s.crawl)}` : '',
          s.timestamp ? `captured ${esc(s.timestamp)}` : '',
          `record <code>${esc(s.record_id)}</code>`,
        ];
  return parts.filter(Boolean).join(' · ');
}

function sampleCard(doc: SampleDoc): string {
  // Only web URLs become links: a crawled `javascript:` or `file:` URL stays text.
  const url = !doc.url
    ? '<span class="note">no URL</span>'
    : /^https?:\/\//i.test(doc.url)
      ? `<a href="${esc(doc.url)}" rel="noreferrer">${esc(doc.url)}</a>`
      : `<span>${esc(doc.url)}</span>`;
  const hits = doc.hits.map(h => `<li>“${esc(h.query)}” — BM25 ${h.score.toFixed(2)}, rank ${h.rank}</li>`).join('');
  return (
    `<article class="sample"><header>${url}<div class="prov">${provenance(doc)}</div>` +
    `<div class="prov">id <code>${esc(doc.id)}</code> · ${fmt(doc.tokens)} tokens${doc.lang ? ` · ${esc(doc.lang.code)} (${doc.lang.score.toFixed(2)})` : ''}</div></header>` +
    `<pre>${esc(doc.snippet)}</pre><div class="prov">found by:</div><ul class="hits">${hits}</ul></article>`
  );
}

function samplesSection(stats: ReportStats): string {
  return Object.entries(stats.samples)
    .map(([domain, docs]) => `<h3>${esc(domain)}</h3><div class="samples">${docs.map(sampleCard).join('')}</div>`)
    .join('');
}

/** The whole page: deterministic for a given version (no clock, seeded samples), so regenerating it changes nothing. */
export function renderReport(manifest: Manifest, stats: ReportStats): string {
  const title = `${manifest.dataset} ${manifest.version}`;
  const sections: [string, string, string][] = [
    ['domains', 'Documents and tokens per domain', domainsSection(manifest, stats)],
    ['funnel', 'Filter funnel', funnelSection(manifest)],
    ['lengths', 'Length distribution', lengthSection(stats)],
    ['languages', 'Language mix', languageSection(stats)],
    ['timestamps', 'Common Crawl timestamps', timeSection(stats)],
    ['sites', 'Top sites and inputs', sitesSection(stats)],
    ['queries', 'Queries with the highest yield', queriesSection(manifest, stats)],
    ...(manifest.relevance
      ? ([
          ['quality', 'How on-domain each domain is', qualitySection(manifest)],
          ['relevance', 'Query yield judged by the LLM', relevanceSection(manifest)],
        ] as [string, string, string][])
      : []),
    ['samples', 'Sample documents per domain', samplesSection(stats)],
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(title)} — qcc report</title>`,
    `<style>${REPORT_CSS}</style></head><body>`,
    `<header class="top"><h1>${esc(title)}</h1><nav>${sections.map(([id, name]) => `<a href="#${id}">${esc(name)}</a>`).join('')}</nav></header>`,
    `<main>${overview(manifest, stats)}`,
    ...sections.map(([id, name, body]) => section(id, name, body)),
    `</main><footer>Generated by qcc from <code>manifest.json</code> and the shards of ${esc(title)}. Sample documents are a seeded uniform sample of each domain.</footer>`,
    '</body></html>',
    '',
  ].join('\n');
}
