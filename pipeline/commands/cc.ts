/**
 * `qcc cc ...`: Common Crawl listings, downloads, index queries and single-record fetches.
 * Results go to stdout (one per line) or --out; progress and warnings to stderr.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { writeJsonlAtomically } from '../../core/jsonl.js';
import { createLogger } from '../log.js';
import { intOption } from './int-option.js';
import { Counters } from '../../core/types.js';
import type { AcquireConfig } from '../../stages/acquire/config.js';
import { DEFAULT_BASE_URL, DEFAULT_INDEX_URL } from '../../stages/acquire/defaults.js';
import { CdxClient } from '../../stages/acquire/cdx.js';
import type { CdxRecord } from '../../stages/acquire/cdxj.js';
import { downloadAll } from '../../stages/acquire/download.js';
import { FILE_KINDS, fileUrl, listCrawlFiles, type FileKind } from '../../stages/acquire/paths.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The retry/time-out options every networked command shares. */
function withNetOptions(cmd: Command): Command {
  return cmd
    .option('--retries <n>', 'attempts after the first on 5xx, 429, time-outs', intOption('--retries'), 6)
    .option('--timeout-ms <n>', 'abandon an attempt after this long without data', intOption('--timeout-ms', 1), 60_000)
    .option('--backoff-ms <n>', 'first back-off (doubles, full jitter)', intOption('--backoff-ms', 1), 1000);
}

/** The config schemas (zod) load when a command runs, not when the CLI starts. */
async function netConfig(opts: Record<string, unknown>): Promise<AcquireConfig> {
  const { acquireConfigSchema } = await import('../../stages/acquire/config.js');
  return acquireConfigSchema.parse({
    base_url: opts.baseUrl ?? DEFAULT_BASE_URL,
    index_url: opts.indexUrl ?? DEFAULT_INDEX_URL,
    concurrency: opts.concurrency ?? 4,
    retries: opts.retries,
    timeout_ms: opts.timeoutMs,
    backoff_ms: opts.backoffMs,
  });
}

const kindOption = () => new Option('--kind <kind>', 'file kind').choices([...FILE_KINDS]).default('warc');

/** CDX JSON lines from a file or stdin ('-'). */
async function* readCdxLines(source: string): AsyncGenerator<{ rec: CdxRecord; line: number }> {
  const input = source === '-' ? process.stdin : createReadStream(source);
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    let rec: CdxRecord;
    try {
      rec = JSON.parse(text) as CdxRecord;
    } catch {
      throw new Error(`${source}: line ${line}: not a JSON line (expected the output of \`qcc cc index\`)`);
    }
    if (!rec.filename || rec.offset === undefined || rec.length === undefined) {
      throw new Error(`${source}: line ${line}: no filename/offset/length`);
    }
    yield { rec, line };
  }
}

export function registerCcCommands(program: Command): void {
  const cc = program
    .command('cc')
    .description('Common Crawl: list, download, query the URL index, fetch single records');

  withNetOptions(
    cc
      .command('list')
      .description("print a crawl's file paths (from crawl-data/<crawl>/<kind>.paths.gz), one per line")
      .requiredOption('--crawl <id>', 'crawl id, e.g. CC-MAIN-2024-22')
      .addOption(kindOption())
      .option('--base-url <url>', 'where crawl-data/ is served', DEFAULT_BASE_URL)
      .option('--urls', 'print full URLs instead of paths')
      .option('--limit <n>', 'only the first n', intOption('--limit', 1)),
  ).action(async opts => {
    const config = await netConfig(opts);
    const paths = await listCrawlFiles(config.base_url, opts.crawl, opts.kind as FileKind, {
      ...config,
      log: createLogger(),
    });
    const shown = opts.limit ? paths.slice(0, opts.limit) : paths;
    process.stdout.write(
      shown.map(p => (opts.urls ? fileUrl(config.base_url, p) : p)).join('\n') + (shown.length ? '\n' : ''),
    );
  });

  withNetOptions(
    cc
      .command('download')
      .description('download crawl files (resumable, retried, size-checked) into --out, keeping their paths')
      .argument('[paths...]', 'paths relative to --base-url (as `qcc cc list` prints them); or use --crawl/--kind')
      .requiredOption('--out <dir>', 'destination folder')
      .option('--crawl <id>', "download from this crawl's listing")
      .addOption(kindOption())
      .option('--limit <n>', 'with --crawl: only the first n files of the listing', intOption('--limit', 1))
      .option('--base-url <url>', 'where crawl-data/ is served', DEFAULT_BASE_URL)
      .option('--concurrency <n>', 'downloads at once', intOption('--concurrency', 1), 4),
  ).action(async (paths: string[], opts) => {
    const log = createLogger();
    const config = await netConfig(opts);
    let todo = paths;
    if (opts.crawl) {
      const listed = await listCrawlFiles(config.base_url, opts.crawl, opts.kind as FileKind, { ...config, log });
      todo = [...paths, ...(opts.limit ? listed.slice(0, opts.limit) : listed)];
    }
    if (todo.length === 0) throw new Error('nothing to download: give paths or --crawl');
    const jobs = todo.map(p => ({ url: fileUrl(config.base_url, p), dest: join(opts.out, p.replace(/^\/+/, '')) }));
    const { done, failed } = await downloadAll(jobs, {
      ...config,
      log,
      onDone: (r, n, total) => log.info(`${n}/${total} ${'dest' in r ? r.dest : `failed: ${r.message}`}`),
    });
    for (const r of done) process.stdout.write(r.dest + '\n');
    if (failed.length)
      throw new Error(
        `${failed.length} of ${jobs.length} downloads failed; first: ${failed[0]!.message} (rerun to resume)`,
      );
  });

  withNetOptions(
    cc
      .command('index')
      .description(
        'query the CDX URL index: one JSON line per capture (filename, offset, length, url, status, mime...)',
      )
      .requiredOption('--crawl <id>', 'crawl id, e.g. CC-MAIN-2024-22')
      .requiredOption('--url <pattern>', 'a URL, `example.com/*` (prefix) or `*.example.com` (domain)')
      .option('--match-type <type>', 'exact, prefix, host or domain')
      .option('--filter <expr>', 'pywb filter, repeatable: =status:200, !mime:text/html, ~url:blog', collect)
      .option('--limit <n>', 'stop after n captures', intOption('--limit', 1))
      .option('--index-url <url>', 'where <crawl>-index is served', DEFAULT_INDEX_URL),
  ).action(async opts => {
    const config = await netConfig(opts);
    const client = new CdxClient(config.index_url, opts.crawl, { ...config, log: createLogger() });
    const query = {
      url: opts.url,
      ...(opts.matchType ? { matchType: opts.matchType } : {}),
      filter: opts.filter ?? [],
      ...(opts.limit ? { limit: opts.limit } : {}),
    };
    for await (const rec of client.query(query)) process.stdout.write(JSON.stringify(rec) + '\n');
  });

  withNetOptions(
    cc
      .command('fetch')
      .description('fetch the records `qcc cc index` lists (by byte range) and write them as documents')
      .argument('[cdx]', 'CDX JSON lines (the output of `qcc cc index`); - or none for stdin', '-')
      .requiredOption('--out <file>', 'documents, e.g. docs.jsonl.gz')
      .option('--base-url <url>', 'where crawl-data/ is served', DEFAULT_BASE_URL)
      .option('--max-page-bytes <n>', 'skip larger records', intOption('--max-page-bytes', 1))
      .option('--min-text-chars <n>', 'skip shorter texts', intOption('--min-text-chars')),
  ).action(async (cdx: string, opts) => {
    const log = createLogger();
    const config = await netConfig(opts);
    const { ingestConfigSchema } = await import('../../stages/ingest/config.js');
    const ingest = ingestConfigSchema.parse({
      ...(opts.maxPageBytes ? { max_page_bytes: opts.maxPageBytes } : {}),
      ...(opts.minTextChars !== undefined ? { min_text_chars: opts.minTextChars } : {}),
    });
    const counters = new Counters();
    // Record fetching pulls in HTML extraction and language id: loaded only by this command.
    const { fetchRecord } = await import('../../stages/acquire/fetch-record.js');
    const records = await writeJsonlAtomically(opts.out, async writer => {
      for await (const { rec } of readCdxLines(cdx)) {
        const f = await fetchRecord(config.base_url, rec, ingest, { ...config, log });
        counters.add(`ingest.records.${f.warcType}`);
        if (f.doc) {
          counters.add('ingest.docs');
          await writer.write(f.doc);
        } else counters.add(`ingest.skipped.${f.skip}`);
      }
    });
    log.info(`wrote ${records} documents to ${opts.out}`, counters.toJSON());
  });

  cc.command('cdxj')
    .description('print sorted CDXJ index lines for local WARC files (to serve a private or test index)')
    .argument('<files...>', 'WARC files')
    .option('--prefix <path>', 'prepended to each file name in the `filename` field', '')
    .action(async (files: string[], opts) => {
      const { cdxRecordsOf, toCdxjLine } = await import('../../stages/acquire/cdxj.js');
      const lines: string[] = [];
      for (const file of files) {
        const name = `${opts.prefix}${file.split('/').pop()}`;
        for await (const r of cdxRecordsOf(file, name)) lines.push(toCdxjLine(r));
      }
      lines.sort();
      process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
    });
}
