import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { Command } from 'commander';
import { repoRoot } from '../core/repo.js';
import { redactText } from '../stages/shared/redact.js';
import { intOption } from './commands/int-option.js';
import { registerReportCommands } from './commands/report.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerCcCommands } from './commands/cc.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerReadCommands } from './commands/read.js';
import { registerOpsCommands } from './commands/ops.js';
import { EXIT_LOCKED, LeaseLostError, LockedError } from './lock.js';
import { RunStopped } from './stop.js';
import { STEP_NAMES } from './steps/all.js';

// Command definitions load only commander and small modules; each action imports what it runs, so
// `qcc --help`, `qcc --version` and `qcc <cmd> --help` stay fast (scripts/bench/cli-startup.mjs).

/** The package version (no git call: codeVersion() adds the commit where a manifest needs it). */
const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** For commands that only read (status, plan, search): warnings and errors, no info lines on stderr. */
async function readOnlyLogger(): Promise<import('../core/types.js').Logger> {
  const log = (await import('./log.js')).createLogger();
  return { info: () => {}, warn: log.warn, error: log.error };
}

/** The last lines of a run: where the report is and how to read the documents. */
function whatNext(versionDir: string): string {
  const rel = relative(process.cwd(), versionDir);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : versionDir;
  return [
    `  report:    ${join(shown, 'report', 'index.html')}`,
    `  documents: qcc read ${shown}   (samples and removals: qcc inspect ${shown})`,
  ].join('\n');
}

export function buildCli(): Command {
  const program = new Command('qcc')
    .description('Query of CC: mine a clean, versioned domain corpus from Common Crawl')
    .version(packageVersion())
    // Options after a command are that command's: `qcc report --version v0001` is not the program's --version.
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('run')
    .description('run the pipeline (or one stage and what it needs) and publish a dataset version')
    .requiredOption('--config <yaml>', 'run config (see config/demo.yaml)')
    .option('--out <dir>', 'output root (overrides the config)')
    .option(
      '--stage <name>',
      `run through this step only (and the incomplete steps it needs): ${STEP_NAMES.join(', ')}`,
    )
    .option('--rank <i>', 'this worker among --world workers', intOption('--rank'), 0)
    .option('--world <n>', 'number of workers splitting the sharded stages', intOption('--world'), 1)
    .option(
      '--lock-wait <seconds>',
      "wait this long for another run's lease on the dataset (default: exit 75 at once)",
      intOption('--lock-wait'),
      0,
    )
    .option(
      '--lock-stale <seconds>',
      'a lease without a heartbeat for this long is stale and taken over',
      intOption('--lock-stale', 1),
      900,
    )
    .option(
      '--replay <version>',
      "serve the model answers a published version recorded (its folder, e.g. out/qcc-demo/v0001) instead of calling the model: reproduces that version's shards on any machine",
    )
    .action(async opts => {
      const { runPipeline } = await import('./run.js');
      const outcome = await runPipeline({
        config: opts.config,
        out: opts.out,
        stage: opts.stage,
        rank: opts.rank,
        world: opts.world,
        lockWaitMs: opts.lockWait * 1000,
        lockStaleMs: opts.lockStale * 1000,
        replay: opts.replay,
      });
      if (outcome.status === 'published') {
        console.log(`published ${outcome.version} (parent: ${outcome.parent ?? 'none'}) in ${outcome.datasetDir}`);
        console.log(whatNext(join(outcome.datasetDir, outcome.version)));
      } else if (outcome.status === 'up_to_date') {
        console.log(
          `up to date: ${outcome.version} in ${outcome.datasetDir} already holds every input of this config's lineage; nothing to do`,
        );
        console.log(whatNext(join(outcome.datasetDir, outcome.version)));
      } else {
        if (outcome.status === 'worker_done')
          console.log(
            `rank ${outcome.rank} of ${outcome.world}: its shards are done; rank 0 publishes (work in ${outcome.work})`,
          );
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
      .action(async opts => {
        const [{ openRun }, { describeRun }] = await Promise.all([import('./run.js'), import('./status.js')]);
        const report = await describeRun(await openRun(opts.config, opts.out, await readOnlyLogger()), { shards });
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
      const [
        { createLogger },
        { resolveInputs },
        { ingestConfigSchema },
        { readArchive },
        { writeJsonlAtomically },
        { Counters },
      ] = await Promise.all([
        import('./log.js'),
        import('../stages/acquire/inputs.js'),
        import('../stages/ingest/config.js'),
        import('../stages/ingest/index.js'),
        import('../core/jsonl.js'),
        import('../core/types.js'),
      ]);
      const log = createLogger();
      const files = await resolveInputs(inputs, { cacheDir: opts.cacheDir, log });
      const config = ingestConfigSchema.parse({ warc: files, on_error: opts.onError });
      const counters = new Counters();
      const ctx: import('../core/types.js').StageContext<typeof config> = {
        config,
        log,
        counters,
        signal: new AbortController().signal,
      };
      const records = await writeJsonlAtomically(opts.out, async writer => {
        for (const file of files) for await (const doc of readArchive(file, ctx)) await writer.write(doc);
      });
      log.info(`wrote ${records} documents to ${opts.out}`, counters.toJSON());
    });

  program
    .command('extract')
    .description('print the main text of HTML pages (several pages: one JSON line {file, text} each)')
    .argument('<files...>', 'HTML files')
    .action(async (files: string[]) => {
      const { decodeHtml, extractMainText } = await import('../stages/ingest/index.js');
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
    .option('-k <n>', 'number of hits', intOption('-k'), 10)
    .argument('<query>', 'free text; search syntax is treated as text')
    .action(async (query: string, opts) => {
      const [{ openRun }, { openRunIndex }] = await Promise.all([import('./run.js'), import('./steps/run-index.js')]);
      const run = await openRun(opts.config, opts.out, await readOnlyLogger());
      const config = run.loaded.config.index;
      if (config.backend === 'fts5' && !existsSync(run.paths.index)) {
        throw new Error(
          `no index yet at ${run.paths.index}: run \`qcc run --config ${opts.config} --stage index\` first`,
        );
      }
      const index = openRunIndex(run, { readonly: true });
      try {
        const hits = await index.search(query, opts.k);
        const docs = await index.getDocs(hits.map(h => h.id));
        hits.forEach((hit, i) => {
          const doc = docs[i]!;
          const snippet = doc.text.slice(0, 200).replace(/\s+/g, ' ');
          console.log(
            JSON.stringify({
              rank: hit.rank,
              score: Number(hit.score.toFixed(4)),
              id: hit.id,
              url: doc.url,
              source: doc.source,
              snippet,
            }),
          );
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
    // Exit codes (docs/operations.md): 0 published or up to date, 1 failed, 2 usage, 75 dataset locked by
    // another run (also: this run lost its lease), 130/143 stopped by SIGINT/SIGTERM. Known secrets are redacted.
    if (err instanceof LockedError || err instanceof LeaseLostError) {
      process.stderr.write(`qcc: ${redactText(e.message)}\n`);
      return EXIT_LOCKED;
    }
    if (err instanceof RunStopped) {
      process.stderr.write(`qcc: ${redactText(e.message)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`qcc: ${redactText(String(e.message))}\n`);
    if (process.env.QCC_DEBUG && e.stack) process.stderr.write(redactText(e.stack) + '\n');
    return 1;
  }
}
