import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { writeJsonlAtomically } from './jsonl.js';
import { createLogger } from './log.js';
import { redactText } from '../stages/shared/redact.js';
import { openRun, runPipeline } from './run.js';
import { describeRun } from './status.js';
import { Counters, type StageContext } from './types.js';
import { codeVersion } from './version.js';
import { registerReportCommands } from './commands/report.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerCcCommands } from './commands/cc.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerReadCommands } from './commands/read.js';
import { registerOpsCommands } from './commands/ops.js';
import { EXIT_LOCKED, LockedError } from './lock.js';
import { resolveInputs } from '../stages/acquire/index.js';
import { openSearchIndex } from '../stages/index/open.js';
import { ingestConfigSchema } from '../stages/ingest/config.js';
import { decodeHtml, extractMainText, readArchive } from '../stages/ingest/index.js';

function int(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

export function buildCli(): Command {
  const program = new Command('qcc')
    .description('Query of CC: mine a clean, versioned domain corpus from Common Crawl')
    .version(codeVersion().package)
    // Options after a command are that command's: `qcc report --version v0001` is not the program's --version.
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('run')
    .description('run the pipeline (or one stage and what it needs) and publish a dataset version')
    .requiredOption('--config <yaml>', 'run config (see config/demo.yaml)')
    .option('--out <dir>', 'output root (overrides the config)')
    .option('--stage <name>', 'run through this step only (and the incomplete steps it needs): bootstrap, ingest, index, retrieve, candidates, relevance_model, relevance, filter, decontam, dedup_signatures, dedup, dedup_apply, publish')
    .option('--rank <i>', 'this worker among --world workers', int('--rank'), 0)
    .option('--world <n>', 'number of workers splitting the sharded stages', int('--world'), 1)
    .option('--lock-wait <seconds>', "wait this long for another run's lease on the dataset (default: exit 75 at once)", int('--lock-wait'), 0)
    .option('--lock-stale <seconds>', 'a lease without a heartbeat for this long is stale and taken over', (v) => {
      const n = int('--lock-stale')(v);
      if (n === 0) throw new InvalidArgumentError('--lock-stale must be positive');
      return n;
    }, 900)
    .action(async (opts) => {
      const outcome = await runPipeline({
        config: opts.config,
        out: opts.out,
        stage: opts.stage,
        rank: opts.rank,
        world: opts.world,
        lockWaitMs: opts.lockWait * 1000,
        lockStaleMs: opts.lockStale * 1000,
      });
      if (outcome.status === 'published') {
        console.log(`published ${outcome.version} (parent: ${outcome.parent ?? 'none'}) in ${outcome.datasetDir}`);
      } else if (outcome.status === 'up_to_date') {
        console.log(`up to date: ${outcome.version} in ${outcome.datasetDir} already holds every input of this config's lineage; nothing to do`);
      } else {
        if (outcome.status === 'worker_done') console.log(`rank ${outcome.rank} of ${outcome.world}: its shards are done; rank 0 publishes (work in ${outcome.work})`);
        else console.log(`ran through ${outcome.through}; work in ${outcome.work}`);
      }
    });

  const describeCommands = [
    ['status', "show a run's progress: shards done per stage, counters, published versions", false],
    ['plan', 'show what a run would do, shard by shard, without running anything', true],
  ] as const;
  for (const [name, description, shards] of describeCommands) {
    program
      .command(name)
      .description(description)
      .requiredOption('--config <yaml>', 'run config')
      .option('--out <dir>', 'output root (overrides the config)')
      .option('--json', 'machine-readable output')
      .action(async (opts) => {
        const report = await describeRun(await openRun(opts.config, opts.out), { shards });
        const { text, ...machine } = report;
        console.log(opts.json ? JSON.stringify(machine, null, 2) : text);
      });
  }

  program
    .command('ingest')
    .description('turn WARC/WET files into clean documents (JSONL, gzip when --out ends in .gz)')
    .argument('<files...>', 'WARC/WET files, local paths or http(s) URLs (downloaded first, with retries and resume)')
    .requiredOption('--out <file>', 'output, e.g. docs.jsonl.gz')
    .option('--on-error <mode>', 'fail: stop at malformed input; skip: count it and go on', 'fail')
    .option('--cache-dir <dir>', 'where URLs are downloaded', join(tmpdir(), 'qcc-downloads'))
    .action(async (inputs: string[], opts) => {
      const log = createLogger();
      const files = await resolveInputs(inputs, { cacheDir: opts.cacheDir, log });
      const config = ingestConfigSchema.parse({ warc: files, on_error: opts.onError });
      const counters = new Counters();
      const ctx: StageContext<typeof config> = { config, log, counters, signal: new AbortController().signal };
      const records = await writeJsonlAtomically(opts.out, async (writer) => {
        for (const file of files) for await (const doc of readArchive(file, ctx)) await writer.write(doc);
      });
      log.info(`wrote ${records} documents to ${opts.out}`, counters.toJSON());
    });

  program
    .command('extract')
    .description('print the main text of HTML pages (several pages: one JSON line {file, text} each)')
    .argument('<files...>', 'HTML files')
    .action(async (files: string[]) => {
      const textOf = (file: string) => {
        if (!existsSync(file)) throw new Error(`${file}: file not found`);
        return extractMainText(decodeHtml(readFileSync(file)));
      };
      if (files.length === 1) {
        process.stdout.write(textOf(files[0]!) + '\n');
        return;
      }
      for (const file of files) process.stdout.write(JSON.stringify({ file, text: textOf(file) }) + '\n');
    });

  program
    .command('search')
    .description("BM25 search in a run's index: one JSON line per hit")
    .requiredOption('--config <yaml>', 'run config')
    .option('--out <dir>', 'output root (overrides the config)')
    .option('-k <n>', 'number of hits', int('-k'), 10)
    .argument('<query>', 'free text; search syntax is treated as text')
    .action(async (query: string, opts) => {
      const run = await openRun(opts.config, opts.out);
      const config = run.loaded.config.index;
      if (config.backend === 'fts5' && !existsSync(run.paths.index)) {
        throw new Error(`no index yet at ${run.paths.index}: run \`qcc run --config ${opts.config} --stage index\` first`);
      }
      const index = openSearchIndex(config, { path: run.paths.index, readonly: true });
      try {
        const hits = await index.search(query, opts.k);
        const docs = await index.getDocs(hits.map((h) => h.id));
        hits.forEach((hit, i) => {
          const doc = docs[i]!;
          const snippet = doc.text.slice(0, 200).replace(/\s+/g, ' ');
          console.log(JSON.stringify({ rank: hit.rank, score: Number(hit.score.toFixed(4)), id: hit.id, url: doc.url, source: doc.source, snippet }));
        });
      } finally {
        await index.close();
      }
    });

  registerReportCommands(program);
  registerInspectCommands(program);
  registerCcCommands(program);
  registerEvalCommands(program);
  registerReadCommands(program);
  registerOpsCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  // Subcommands do not inherit an override set after they were added: without it they exit(1) on usage errors.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    // commander gives usage errors exit code 1; qcc keeps 1 for failed runs.
    if (e.code?.startsWith('commander.')) return e.exitCode === 0 ? 0 : 2;
    // Exit codes (docs/operations.md): 0 published or up to date, 1 failed, 2 usage, 75 dataset locked by another run.
    if (err instanceof LockedError) {
      process.stderr.write(`qcc: ${redactText(e.message)}\n`);
      return EXIT_LOCKED;
    }
    process.stderr.write(`qcc: ${redactText(String(e.message))}\n`);
    if (process.env.QCC_DEBUG && e.stack) process.stderr.write(redactText(e.stack) + '\n');
    return 1;
  }
}
