import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cc, haveSharedData, inCI, qcc, repo, tempDir } from './helpers.js';

/** util-linux `script` runs a command on a pseudo-terminal: what a person at a terminal sees. */
const SCRIPT = '/usr/bin/script';
function haveScript(): boolean {
  const ok = existsSync(SCRIPT);
  if (!ok && inCI) throw new Error(`CI=true but ${SCRIPT} is missing (Debian package bsdutils)`);
  if (!ok) console.warn(`skipping the terminal test: no ${SCRIPT}`);
  return ok;
}

describe.runIf(haveSharedData())('progress and logs of a run, on a terminal and on a pipe', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = await tempDir();
    config = join(dir, 'small.yaml');
    // MinHash dedup is on by default: its per-band lines are the detail that must stay off the terminal.
    await writeFile(
      config,
      `dataset: small\nseeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}], seeds_per_shard: 12 }\nbootstrap: { provider: none }\ningest: { warc: [${cc('other')}] }\n`,
    );
  });

  it('on a pipe, per-band dedup lines are in the JSON log at debug level; the last lines name the report and qcc read', async () => {
    const r = await qcc(['run', '--config', config, '--out', join(dir, 'pipe')]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const lines = r.stderr
      .split('\n')
      .filter(l => l.startsWith('{'))
      .map(l => JSON.parse(l) as { level?: string; msg?: string });
    const bands = lines.filter(l => l.msg === 'dedup band merged');
    expect(bands.length).toBeGreaterThan(0);
    for (const b of bands) expect(b.level).toBe('debug');
    const version = join(dir, 'pipe', 'small', 'v0001');
    expect(r.stdout).toContain(`report:    ${join(version, 'report', 'index.html')}`);
    expect(r.stdout).toContain(`documents: qcc read ${version}`);
    expect(existsSync(join(version, 'report', 'index.html'))).toBe(true);
  });

  it.runIf(haveScript())('on a terminal, the bars are not broken up by debug lines', () => {
    const typescript = join(dir, 'tty.log');
    const command = [
      process.execPath,
      join(repo, 'bin', 'qcc.js'),
      'run',
      '--config',
      config,
      '--out',
      join(dir, 'tty'),
    ]
      .map(a => `'${a}'`)
      .join(' ');
    const r = spawnSync(SCRIPT, ['-qec', command, typescript], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, QCC_LOG_LEVEL: '' },
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const screen = readFileSync(typescript, 'utf8');
    expect(screen).toMatch(/dedup\s+\[/); // the dedup step's bar was drawn
    expect(screen).not.toContain('dedup band merged');
    expect(screen).not.toMatch(/"level":"debug"/);
    expect(screen).toMatch(/documents: qcc read \S+small\/v0001/);
  });
});
