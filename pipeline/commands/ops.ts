/** Commands for operators: `qcc crawls` (Common Crawl releases) and `qcc unlock` (a dataset's run lease). */
import type { Command } from 'commander';
import { createLogger } from '../log.js';
import { intOption } from './int-option.js';
import { describeHolder, removeDatasetLock } from '../lock.js';
import { DEFAULT_INDEX_URL } from '../../stages/acquire/defaults.js';

export function registerOpsCommands(program: Command): void {
  program
    .command('crawls')
    .description("list the Common Crawl releases (the index server's collinfo.json), newest first")
    .option('--index-url <url>', 'index server', DEFAULT_INDEX_URL)
    .option('--limit <n>', 'show only the newest n', intOption('--limit', 1))
    .option('--json', 'one JSON line per crawl: {id, name, timegate, cdx-api, from, to}')
    .option('--retries <n>', 'attempts after the first on 5xx, 429, time-outs', intOption('--retries'), 3)
    .action(async opts => {
      const [{ acquireConfigSchema }, { listCrawls, retryOptionsOf }] = await Promise.all([
        import('../../stages/acquire/config.js'),
        import('../../stages/acquire/crawls.js'),
      ]);
      const acquire = acquireConfigSchema.parse({ index_url: opts.indexUrl, retries: opts.retries });
      const crawls = await listCrawls(acquire.index_url, retryOptionsOf(acquire, createLogger()));
      const shown = opts.limit ? crawls.slice(0, opts.limit) : crawls;
      for (const c of shown) {
        if (opts.json) console.log(JSON.stringify(c));
        else
          console.log(
            [c.id.padEnd(16), c.name.padEnd(22), c.from || c.to ? `${c.from ?? '?'} .. ${c.to ?? '?'}` : '']
              .join('  ')
              .trimEnd(),
          );
      }
    });

  program
    .command('unlock')
    .description("remove a dataset's run lease (left by a run that died); says whose it was")
    .requiredOption('--config <yaml>', 'run config (names the dataset)')
    .option('--out <dir>', 'output root (overrides the config)')
    .option('--force', 'remove the lease even if its holder looks alive')
    .action(async opts => {
      const { loadConfig } = await import('../config.js');
      const { datasetDir } = loadConfig(opts.config, { out: opts.out });
      const { holder, verdict } = removeDatasetLock(datasetDir, { force: Boolean(opts.force) });
      if (!holder) {
        console.log(`no lease on ${datasetDir}: nothing to unlock`);
        return;
      }
      console.log(
        `removed the lease of ${datasetDir}, held by ${describeHolder(holder)}${verdict ? ` (${verdict.reason})` : ''}`,
      );
    });
}
