import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { haveModel, haveSharedData, itSlow, qcc, startQcc, tempDir } from './helpers.js';
import { allWorkers, LEAN_WARCS, onStderrLines, publishedSet, writeLeanConfig } from './ops-helpers.js';

const WORLD = 4;

function worker(config: string, out: string, rank: number) {
  return startQcc(['run', '--config', config, '--out', out, '--rank', String(rank), '--world', String(WORLD)]);
}

describe.runIf(haveSharedData() && haveModel())(`a run split over ${WORLD} worker processes`, () => {
  itSlow(
    'publishes the same record set as one process, also when a worker is killed mid-shard and re-run',
    async () => {
      const dir = await tempDir('qcc-workers-');
      // One cache for every run: only the first run calls the model, the others read its answers.
      const config = await writeLeanConfig(dir, { dataset: 'lean', cacheDir: join(dir, 'cache') });

      const single = await qcc(['run', '--config', config, '--out', join(dir, 'one')]);
      expect(single.code, single.stderr.slice(-600)).toBe(0);
      expect(single.stdout).toMatch(/published v0001/);
      const reference = await publishedSet(join(dir, 'one', 'lean'));
      expect(reference.records.length).toBeGreaterThan(10);
      expect(new Set(reference.records).size).toBe(reference.records.length);

      const many = join(dir, 'many');
      const results = await allWorkers(
        Array.from({ length: WORLD }, (_, rank) => worker(config, many, rank)),
        { deadlineMs: 300_000 },
      );
      expect(results[0]!.stdout).toMatch(/published v0001/);
      for (let rank = 1; rank < WORLD; rank++)
        expect(results[rank]!.stdout).toMatch(
          new RegExp(`rank ${rank} of ${WORLD}: its shards are done; rank 0 publishes`),
        );
      // Every rank did sharded work of its own.
      results.forEach((r, rank) => expect(r.stderr, `rank ${rank}`).toMatch(/"event":"shard_done","step":"retrieve"/));
      const split = await publishedSet(join(many, 'lean'));
      expect(split.records).toEqual(reference.records);
      expect(split.manifest.domains).toEqual(reference.manifest.domains);
      expect(split.manifest.funnel).toEqual(reference.manifest.funnel);

      // Rank 1 is killed while its ingest shard (one WARC file) is being read; the others wait at the barrier.
      const crashed = join(dir, 'crashed');
      const runs = Array.from({ length: WORLD }, (_, rank) => worker(config, crashed, rank));
      onStderrLines(runs[1]!.child, line => {
        if (line.includes('"event":"step_started","step":"ingest"')) runs[1]!.child.kill('SIGKILL');
      });
      const killed = await runs[1]!.done;
      expect(killed.signal).toBe('SIGKILL');
      const markers = join(crashed, 'lean', '.work');
      const ingestDone = (dirOf: string) => {
        const runDir = readdirSync(dirOf)[0]!;
        const states = join(dirOf, runDir, 'state', 'ingest');
        return existsSync(states) ? readdirSync(states).filter(n => n.endsWith('.done.json')).length : 0;
      };
      // Rank 1's shard never completed (the other ranks' shards may have).
      expect(ingestDone(markers)).toBeLessThan(LEAN_WARCS.length);

      const rerun = worker(config, crashed, 1);
      const rest = await allWorkers([runs[0]!, rerun, runs[2]!, runs[3]!], { deadlineMs: 300_000 });
      expect(rest[0]!.stdout).toMatch(/published v0001/);
      expect(rest[0]!.stderr).toMatch(/rank 0 waiting for stage ingest/);
      const recovered = await publishedSet(join(crashed, 'lean'));
      expect(new Set(recovered.records).size).toBe(recovered.records.length);
      expect(recovered.records).toEqual(reference.records);
      expect(recovered.manifest.funnel).toEqual(reference.manifest.funnel);
    },
  );
});
