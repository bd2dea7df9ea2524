// The benches that run `bin/qcc.js` time dist/, so they build it first: a checkout edited since `npm ci` would
// otherwise be measured as it was built then.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export function buildDist() {
  const repo = resolve(import.meta.dirname, '..', '..');
  process.stderr.write('bench: building dist/ (tsc) so that bin/qcc.js runs this checkout\n');
  execFileSync(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repo, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}
