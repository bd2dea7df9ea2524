/**
 * What makes two configs the same lineage: the settings the user wrote that differ from their defaults
 * (so a key the code adds with a default, or a key spelled out at its default, changes nothing), with
 * every file a setting names replaced by its content, and this code's CONFIG_IDENTITY_VERSION.
 * Where data is read from and written to is not part of it. See docs/storage.md, "Lineage and run id".
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { sha256Text } from '../core/atomic.js';
import { fileDigest } from './input-location.js';

/** Raise when a setting's meaning or default value changes, so that configs written before start a new lineage. */
export const CONFIG_IDENTITY_VERSION = 1;

/** Where a run reads from and writes to, and its input lists (the ledger tracks inputs by content). */
const LOCATION_KEYS: string[][] = [
  ['out'],
  ['cache_dir'],
  ['storage'],
  ['ingest', 'warc'],
  ['ingest', 'corpora'],
  ['ingest', 'cc'],
  ['ingest', 'acquire'],
  ['ingest', 'input_root'],
];

/** Settings that name files: they stand for the file's content (`*`: any list index). */
const PATH_KEYS: string[][] = [
  ['seeds', 'files', '*'],
  ['bootstrap', 'prompt'],
  ['bootstrap', 'thought_prompt'],
  ['bootstrap', 'model'],
  ['bootstrap', 'postprocess', 'blocklist'],
  ['bootstrap', 'thought_parents_by_yield'],
  ['decontam', 'benchmarks', '*', 'file'],
  ['filters', 'url_blocklist', 'file'],
];

type Path = (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const p of path) node = (node as Record<string | number, unknown> | undefined)?.[p];
  return node;
}

function deleteAt(root: unknown, path: Path): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown> | undefined;
  if (parent && typeof parent === 'object') delete parent[path[path.length - 1]!];
}

/**
 * The written settings that are not defaults, with their validated values. A leaf is a default when the
 * config validates to the same result without it. Lists of objects keep every element (their order is
 * meaningful) with each element's defaults dropped; other lists are leaves.
 */
export function nonDefaultSettings(written: unknown, validated: unknown, validate: (c: unknown) => unknown): unknown {
  const prune = (node: unknown, path: Path): unknown => {
    if (isObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const kept = prune(v, [...path, k]);
        if (kept !== undefined) out[k] = kept;
      }
      return Object.keys(out).length ? out : undefined;
    }
    if (Array.isArray(node) && node.some(isObject))
      return node.map((el, i) => (isObject(el) ? (prune(el, [...path, i]) ?? {}) : el));
    const without = structuredClone(written);
    deleteAt(without, path);
    if (isDeepStrictEqual(validate(without), validated)) return undefined;
    return getAt(validated, path) ?? node;
  };
  return prune(written, []) ?? {};
}

/** A file as its content; a folder as its files' names and contents; anything else (a glob, a model name) as written. */
function contentOf(value: string, dir: string): unknown {
  const path = isAbsolute(value) ? value : resolve(dir, value);
  if (!existsSync(path)) return value;
  const st = statSync(path);
  if (st.isFile()) return { file: fileDigest(path) };
  if (!st.isDirectory()) return value;
  const files = readdirSync(path, { withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => [e.name, fileDigest(join(path, e.name)).sha256])
    .sort();
  return { folder: sha256Text(JSON.stringify(files)) };
}

function replacePaths(node: unknown, pattern: string[], dir: string): unknown {
  if (pattern.length === 0) return typeof node === 'string' ? contentOf(node, dir) : node;
  const [head, ...rest] = pattern;
  if (head === '*') return Array.isArray(node) ? node.map(el => replacePaths(el, rest, dir)) : node;
  if (!isObject(node) || !(head! in node)) return node;
  return { ...node, [head!]: replacePaths(node[head!], rest, dir) };
}

/** JSON with object keys sorted, so the order keys are written in does not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter(k => value[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The lineage's settings: non-default written settings, files as contents, locations and input lists left out. */
export function lineageSettings(settings: unknown, configDir: string): unknown {
  let out = structuredClone(settings);
  for (const key of LOCATION_KEYS) deleteAt(out, key);
  for (const pattern of PATH_KEYS) out = replacePaths(out, pattern, configDir);
  return dropEmpty(out) ?? {};
}

/** Objects left empty once locations are removed (`ingest: {}`) say nothing: gone, so `{}` and absent agree. */
function dropEmpty(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(el => dropEmpty(el) ?? {});
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    const kept = dropEmpty(v);
    if (kept !== undefined) out[k] = kept;
  }
  return Object.keys(out).length ? out : undefined;
}

export function lineageIdOf(settings: unknown): string {
  return sha256Text(canonicalJson({ identity_version: CONFIG_IDENTITY_VERSION, settings })).slice(0, 16);
}
