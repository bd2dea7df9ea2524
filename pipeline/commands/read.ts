/** `qcc read`: a published version's documents, the full dataset or one version's delta, as JSONL on stdout. */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import type { Command } from 'commander';
import { dataFiles } from '../../stages/write/read.js';

export function registerReadCommands(program: Command): void {
  program
    .command('read')
    .description(
      "a version's documents as JSONL on stdout: the full dataset (its lineage up to the version) or --delta",
    )
    .argument(
      '<dir>',
      'the dataset folder (<out>/<dataset>: LATEST or --version) or a version folder (<out>/<dataset>/v0001)',
    )
    .option('--version <v>', 'version to read (default: LATEST)')
    .option('--delta', 'only the documents this version added')
    .option('--domain <name>', 'one domain only')
    .option('--files', 'print the shard paths instead of the documents')
    .action(async (dir: string, opts: { version?: string; delta?: boolean; domain?: string; files?: boolean }) => {
      const { files } = dataFiles(dir, opts);
      if (opts.files) {
        for (const f of files) process.stdout.write(f + '\n');
        return;
      }
      // A consumer that stops early (`| head`) is not an error.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(0);
        throw err;
      });
      for (const f of files) {
        for await (const chunk of createReadStream(f).pipe(createGunzip())) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      }
    });
}
