import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../core/repo.js';

let cached: { package: string; git?: string } | undefined;

/** The package version and, in a git checkout, the commit: recorded in every manifest. */
export function codeVersion(): { package: string; git?: string } {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
  let git: string | undefined;
  try {
    git = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    git = undefined;
  }
  cached = git ? { package: pkg.version, git } : { package: pkg.version };
  return cached;
}
