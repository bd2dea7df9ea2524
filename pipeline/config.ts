import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type QccConfig } from '../config/schema.js';
import { sha256Text } from '../core/atomic.js';
import { fromRepo } from '../core/repo.js';
import { isUrl } from '../stages/acquire/inputs.js';
import { canonicalJson, lineageIdOf, lineageSettings, nonDefaultSettings } from './config-identity.js';
import { inputRootFor, recordedLocation } from './input-location.js';

export interface ConfigProblem {
  key: string | undefined;
  detail: string;
}

/** A bad config. `key` is the first problem's; `problems` lists all of them, one line each in the message. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    detail: string,
    more: ConfigProblem[] = [],
  ) {
    const all = [{ key, detail }, ...more];
    super(all.map(p => `${file}: ${p.key ? `key \`${p.key}\`: ` : ''}${p.detail}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = all;
  }

  static of(file: string, problems: ConfigProblem[]): ConfigError {
    const [first, ...more] = problems;
    return new ConfigError(file, first!.key, first!.detail, more);
  }
}

export interface LoadedConfig {
  file: string;
  config: QccConfig;
  /** Stable hash of the lineage's settings and the inputs as provenance records them (pipeline/config-identity.ts). */
  hash: string;
  /**
   * Hash of the settings written in the config that differ from their defaults, files as their contents,
   * without locations and input lists: runs that share it form one lineage, whose versions each add the
   * documents of inputs not consumed before.
   */
  lineageId: string;
  /**
   * The folder local inputs are recorded relative to (`ingest.input_root`, else the deepest folder holding
   * them all); undefined when every input is a URL.
   */
  inputRoot: string | undefined;
  outDir: string;
  datasetDir: string;
  cacheDir: string;
  /** Every archive the run reads: local files (folders in `ingest.warc` expanded, sorted) and URLs. */
  archives: string[];
}

const ARCHIVE_NAME = /\.(warc|wet|wat)(\.gz)?$|\.warc\.(wet|wat)(\.gz)?$/i;

function keyOf(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_ENV_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;
const NUMBER_TEXT = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

interface Interpolation {
  problems: ConfigProblem[];
  /** Keys whose whole value was one `${...}` that gave a number-looking string: they may stand for a number. */
  numeric: Map<string, number>;
}

/** `${NAME}` and `${NAME:-default}` in string values, so a config can point at data beside any checkout. */
function interpolateEnv(value: unknown, out: Interpolation, path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    const result = value.replace(ENV_REF, (m, name: string, fallback?: string) => {
      const env = process.env[name];
      if (env !== undefined && env !== '') return env;
      if (fallback !== undefined) return fallback;
      out.problems.push({ key: keyOf(path), detail: `environment variable ${name} is not set and has no default` });
      return m;
    });
    if (result !== value && WHOLE_ENV_REF.test(value) && NUMBER_TEXT.test(result))
      out.numeric.set(keyOf(path), Number(result));
    return result;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, out, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, out, [...path, k])]));
  }
  return value;
}

/** Sets `value` at `path` inside plain objects and arrays. */
function setAt(root: unknown, path: PropertyKey[], value: unknown): void {
  let node = root as Record<PropertyKey, unknown>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<PropertyKey, unknown>;
  node[path[path.length - 1]!] = value;
}

/**
 * Validates the interpolated config. Where the schema wants a number and got the string of a whole
 * `${VAR}` substitution that reads as one, the number is used (environment values are always strings).
 */
function validate(interpolated: unknown, numeric: Map<string, number>) {
  let parsed = configSchema.safeParse(interpolated);
  if (parsed.success || numeric.size === 0) return parsed;
  let coerced = false;
  for (const issue of parsed.error.issues) {
    const key = keyOf(issue.path);
    if (issue.code === 'invalid_type' && issue.expected === 'number' && numeric.has(key)) {
      setAt(interpolated, issue.path, numeric.get(key));
      coerced = true;
    }
  }
  if (coerced) parsed = configSchema.safeParse(interpolated);
  return parsed;
}

function describeIssue(issue: z.core.$ZodIssue): { key: string; detail: string } {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const at = keyOf(issue.path);
    return {
      key: keys.map(k => (at ? `${at}.${k}` : k)).join(', '),
      detail: `unknown key (allowed keys are listed in the README's config reference)`,
    };
  }
  return { key: keyOf(issue.path) || '(top level)', detail: issue.message };
}

function expandArchives(entries: string[], file: string): string[] {
  const out: string[] = [];
  entries.forEach((entry, i) => {
    if (isUrl(entry)) {
      out.push(entry);
      return;
    }
    if (!existsSync(entry)) throw new ConfigError(file, `ingest.warc[${i}]`, `file not found: ${entry}`);
    if (statSync(entry).isDirectory()) {
      const found = readdirSync(entry)
        .filter(name => ARCHIVE_NAME.test(name))
        .sort()
        .map(name => join(entry, name));
      if (found.length === 0) throw new ConfigError(file, `ingest.warc[${i}]`, `no WARC/WET files in folder ${entry}`);
      out.push(...found);
    } else {
      out.push(entry);
    }
  });
  return out;
}

export function loadConfig(file: string, overrides: { out?: string } = {}): LoadedConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(path, undefined, 'config file not found');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(path, undefined, `not valid YAML: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new ConfigError(path, undefined, 'empty config, expected a YAML mapping');
  const rawObject = raw as Record<string, any>;
  const interpolation: Interpolation = { problems: [], numeric: new Map() };
  const interpolated = interpolateEnv(raw, interpolation);
  if (interpolation.problems.length > 0) throw ConfigError.of(path, interpolation.problems);
  const parsed = validate(interpolated, interpolation.numeric);
  if (!parsed.success) throw ConfigError.of(path, parsed.error.issues.map(describeIssue));
  const config = parsed.data;
  const dir = dirname(path);
  // Before paths are resolved: the settings as written (after `${VAR}` and number coercion), defaults left out.
  const settings = lineageSettings(
    nonDefaultSettings(interpolated, structuredClone(config), c => {
      const again = configSchema.safeParse(c);
      return again.success ? again.data : undefined;
    }),
    dir,
  );
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));

  config.seeds.files = config.seeds.files.map(at);
  config.seeds.files.forEach((f, i) => {
    if (!existsSync(f)) throw new ConfigError(path, `seeds.files[${i}]`, `file not found: ${f}`);
  });
  config.ingest.warc = config.ingest.warc.map(p => (isUrl(p) ? p : at(p)));
  config.ingest.corpora = config.ingest.corpora.map(c => ({ ...c, path: at(c.path) }));
  config.ingest.corpora.forEach((c, i) => {
    if (!existsSync(c.path)) throw new ConfigError(path, `ingest.corpora[${i}].path`, `file not found: ${c.path}`);
  });
  if (config.ingest.warc.length === 0 && config.ingest.corpora.length === 0 && !config.ingest.cc) {
    throw new ConfigError(
      path,
      'ingest',
      'no inputs: give `ingest.warc` files, `ingest.corpora` or `ingest.cc` crawls',
    );
  }
  const archives = expandArchives(config.ingest.warc, path);
  // Relative prompt/model paths given in the config are the config's; defaults are the repository's.
  const rawBootstrap = (rawObject.bootstrap ?? {}) as Record<string, unknown>;
  if (typeof rawBootstrap.prompt === 'string') config.bootstrap.prompt = at(config.bootstrap.prompt);
  else config.bootstrap.prompt = fromRepo(config.bootstrap.prompt);
  if (config.bootstrap.provider === 'llama' && typeof rawBootstrap.model === 'string' && config.bootstrap.model) {
    config.bootstrap.model = at(config.bootstrap.model);
  }
  config.bootstrap.thought_prompt =
    typeof rawBootstrap.thought_prompt === 'string'
      ? at(config.bootstrap.thought_prompt)
      : fromRepo(config.bootstrap.thought_prompt);
  const blocklist = config.bootstrap.postprocess.blocklist;
  if (blocklist) {
    const rawPost = (rawBootstrap.postprocess ?? {}) as Record<string, unknown>;
    config.bootstrap.postprocess.blocklist =
      typeof rawPost.blocklist === 'string' ? at(blocklist) : fromRepo(blocklist);
  }
  if (config.bootstrap.thought_parents_by_yield)
    config.bootstrap.thought_parents_by_yield = at(config.bootstrap.thought_parents_by_yield);
  const promptFiles: [string, string | undefined][] = [
    ['bootstrap.prompt', config.bootstrap.prompt],
    ['bootstrap.thought_prompt', config.bootstrap.thought_prompt],
    ['bootstrap.postprocess.blocklist', config.bootstrap.postprocess.blocklist],
    ['bootstrap.thought_parents_by_yield', config.bootstrap.thought_parents_by_yield],
  ];
  for (const [key, file] of promptFiles) {
    if (file && !existsSync(file)) throw new ConfigError(path, key, `file not found: ${file}`);
  }
  // Files later steps read, checked now so that a missing one fails before ingest, index and retrieve run. The
  // blocklist stays as written (its step resolves it against this file's folder); a judge template given here is
  // this file's, a default one the repository's (resolved by the judge).
  const blocklistFile = config.filters.url_blocklist.file;
  if (blocklistFile && !existsSync(at(blocklistFile)))
    throw new ConfigError(path, 'filters.url_blocklist.file', `file not found: ${at(blocklistFile)}`);
  const rawJudge = ((rawObject.relevance ?? {}) as Record<string, any>).judge ?? {};
  for (const key of ['prompt', 'chat_prompt'] as const)
    if (typeof rawJudge[key] === 'string') config.relevance.judge[key] = at(config.relevance.judge[key]);
  if (config.relevance.enabled && config.bootstrap.provider !== 'none') {
    const key = config.bootstrap.provider === 'openai' ? 'chat_prompt' : 'prompt';
    const template = fromRepo(config.relevance.judge[key]);
    if (!existsSync(template)) throw new ConfigError(path, `relevance.judge.${key}`, `file not found: ${template}`);
  }

  const outDir = overrides.out ? resolve(overrides.out) : at(config.out);
  config.out = outDir;
  const cacheDir = config.cache_dir ? at(config.cache_dir) : join(outDir, '.cache');
  config.cache_dir = cacheDir;
  // Where data is read from and written to is not part of a run's identity: the same run elsewhere is the same run.
  const lineageId = lineageIdOf(settings);
  const local = [...archives.filter(a => !isUrl(a)), ...config.ingest.corpora.map(c => c.path)];
  if (config.ingest.input_root) config.ingest.input_root = at(config.ingest.input_root);
  const inputRoot = inputRootFor(local, config.ingest.input_root);
  const recorded = (p: string, key: string) => {
    const location = recordedLocation(inputRoot, p);
    if (location === undefined)
      throw new ConfigError(
        path,
        key,
        `${p} is outside \`ingest.input_root\` (${inputRoot}): provenance records inputs relative to it`,
      );
    return location;
  };
  const inputs = {
    warc: archives.map(a => recorded(a, 'ingest.warc')),
    corpora: config.ingest.corpora.map((c, i) => ({ ...c, path: recorded(c.path, `ingest.corpora[${i}].path`) })),
    cc: config.ingest.cc ?? null,
  };
  const hash = sha256Text(canonicalJson({ lineage: lineageId, inputs })).slice(0, 16);
  return {
    file: path,
    config,
    hash,
    lineageId,
    inputRoot,
    outDir,
    datasetDir: join(outDir, config.dataset),
    cacheDir,
    archives,
  };
}
