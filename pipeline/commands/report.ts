import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { versionPaths } from '../paths.js';
import { VersionedDataset } from '../../stages/write/dataset.js';

const isVersion = (dir: string) => existsSync(versionPaths(dir).manifest);

// Actions import the config, diff and report modules when they run: registering the commands stays cheap.
async function datasetDirOf(opts: { config?: string; dataset?: string; out?: string }): Promise<string | undefined> {
  if (opts.dataset) return resolve(opts.dataset);
  if (opts.config) return (await import('../config.js')).loadConfig(opts.config, { out: opts.out }).datasetDir;
  return undefined;
}

/**
 * A version named by a path (`out/qcc-demo/v0002`), or by its name (`v0002`, `LATEST`) inside the dataset
 * folder given by --dataset/--config, or beside the other version being compared.
 */
export function resolveVersionDir(arg: string, datasetDir?: string, besides?: string): string {
  if (isVersion(arg)) return resolve(arg);
  const bases = [datasetDir, besides ? dirname(besides) : undefined].filter((b): b is string => !!b);
  for (const base of bases) {
    const name = arg === 'LATEST' ? new VersionedDataset(base).latest() : arg;
    if (name && isVersion(join(base, name))) return resolve(base, name);
  }
  const where = bases.length
    ? ` (looked in ${bases.join(', ')})`
    : ' (give a path, or --dataset <dir> / --config <yaml>)';
  throw new Error(`${arg}: not a dataset version folder with a manifest.json${where}`);
}

export function registerReportCommands(program: Command): void {
  program
    .command('report')
    .description('regenerate report/index.html (charts, top sites, queries, samples) for an existing version')
    .argument('[version]', 'version folder, e.g. out/qcc-demo/v0001 (or a version name with --config/--dataset)')
    .option('--config <yaml>', 'run config: the version is looked up in its dataset folder')
    .option('--dataset <dir>', 'dataset folder holding the versions')
    .option('--out <dir>', 'output root (overrides the config)')
    .option('--version <name>', 'version name, e.g. v0002 (default: LATEST)')
    .action(
      async (arg: string | undefined, opts: { config?: string; dataset?: string; out?: string; version?: string }) => {
        const datasetDir = await datasetDirOf(opts);
        if (!arg && !datasetDir)
          throw new Error('qcc report: give a version folder, or --config <yaml> / --dataset <dir>');
        const dir = resolveVersionDir(arg ?? opts.version ?? 'LATEST', datasetDir);
        const [{ loadVersion }, { writeReport }] = await Promise.all([
          import('../../stages/report/diff.js'),
          import('../../stages/report/index.js'),
        ]);
        const { manifest } = loadVersion(dir);
        const path = await writeReport(dir, manifest, docs => process.stderr.write(`report: ${docs} documents read\n`));
        console.log(path);
      },
    );

  program
    .command('diff')
    .description('documents added, removed and changed per domain between two versions, and why')
    .argument('<a>', 'older version: folder, or name (v0001) inside --dataset/--config or beside <b>')
    .argument('<b>', 'newer version: folder, or name (v0002) inside --dataset/--config or beside <a>')
    .option('--config <yaml>', 'run config: versions are looked up in its dataset folder')
    .option('--dataset <dir>', 'dataset folder holding the versions')
    .option('--out <dir>', 'output root (overrides the config)')
    .option('--json', 'machine-readable output')
    .action(async (a: string, b: string, opts: { config?: string; dataset?: string; out?: string; json?: boolean }) => {
      const datasetDir = await datasetDirOf(opts);
      const [{ diffVersions, loadVersion }, { formatDiff }] = await Promise.all([
        import('../../stages/report/diff.js'),
        import('../../stages/report/diff-text.js'),
      ]);
      const aDir = isVersion(a)
        ? resolve(a)
        : isVersion(b)
          ? resolveVersionDir(a, datasetDir, resolve(b))
          : resolveVersionDir(a, datasetDir);
      const bDir = resolveVersionDir(b, datasetDir, aDir);
      const diff = await diffVersions(loadVersion(aDir), loadVersion(bDir));
      process.stdout.write(opts.json ? JSON.stringify(diff, null, 2) + '\n' : formatDiff(diff));
    });
}
