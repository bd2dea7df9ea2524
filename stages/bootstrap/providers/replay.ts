/**
 * `qcc run --replay <version>`: the model answers a published version recorded, served in place of the model.
 * A request the version did not record is an error naming it; a replay never calls the model.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sha256File } from '../../../core/atomic.js';
import { readManifest, type Manifest } from '../../write/manifest.js';
import { readJsonl } from '../../../core/jsonl.js';
import { describeRequest, keyOfRequest, requestKey, type AnswerResponse, type ModelAnswer } from './answers.js';
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

/** The file in a version folder that holds its model answers (listed in the manifest's `files`). */
export const MODEL_ANSWERS_FILE = 'model-answers.jsonl.gz';

/** The answers of one published version, by request key. */
export interface ModelAnswers {
  /** The version folder as given. */
  dir: string;
  version: string;
  run_id: string;
  sha256: string;
  byKey: Map<string, AnswerResponse>;
}

/** A request the replayed version holds no answer for. */
export class ReplayMissError extends Error {
  constructor(
    readonly answers: ModelAnswers,
    readonly key: string,
    req: CompletionRequest,
    provider: string,
    model: string,
  ) {
    super(
      `--replay ${answers.dir}: ${answers.version} recorded no answer for ${describeRequest(req)} ` +
        `to ${provider} ${model} (key ${key.slice(0, 16)}…). The config, prompts, inputs or model differ from the run that made ` +
        `${answers.version}; a replay never calls the model: run without --replay to ask it.`,
    );
    this.name = 'ReplayMissError';
  }
}

/** Reads and checks a version's model answers: the file the manifest lists, its checksum, every line's key. */
export async function loadModelAnswers(versionDir: string): Promise<ModelAnswers> {
  const dir = resolve(versionDir);
  let manifest: Partial<Manifest>;
  try {
    manifest = readManifest(
      dir,
      () => 'no manifest.json there; give a published version folder, e.g. out/<dataset>/v0001',
    );
  } catch (err) {
    throw new Error(`--replay ${versionDir}: ${(err as Error).message}`);
  }
  const entry = manifest.files?.find(f => f.path === MODEL_ANSWERS_FILE);
  if (!entry) {
    throw new Error(
      `--replay ${versionDir}: version ${manifest.version ?? '?'} lists no ${MODEL_ANSWERS_FILE} in its manifest (published before qcc recorded model answers); it cannot be replayed`,
    );
  }
  const file = join(dir, MODEL_ANSWERS_FILE);
  if (!existsSync(file)) throw new Error(`--replay ${versionDir}: ${file} is missing (the manifest lists it)`);
  const { sha256 } = await sha256File(file);
  if (sha256 !== entry.sha256)
    throw new Error(
      `--replay ${versionDir}: ${file} has sha256 ${sha256}, its manifest says ${entry.sha256}: the file was changed`,
    );
  const byKey = new Map<string, AnswerResponse>();
  let line = 0;
  for await (const answer of readJsonl<ModelAnswer>(file)) {
    line++;
    const ok =
      typeof answer?.key === 'string' &&
      answer.request &&
      typeof answer.response?.text === 'string' &&
      keyOfRequest(answer.request) === answer.key;
    if (!ok) throw new Error(`${file}: line ${line}: not a model answer whose key is the sha256 of its request`);
    byKey.set(answer.key, answer.response);
  }
  return { dir: versionDir, version: manifest.version ?? '?', run_id: manifest.run_id ?? '?', sha256, byKey };
}

/** Serves recorded answers as the provider `name`/`model` would have given them; never calls a model. */
export class ReplayProvider implements LlmProvider {
  constructor(
    readonly name: string,
    readonly model: string,
    readonly answers: ModelAnswers,
  ) {}

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    req.signal?.throwIfAborted();
    const { key } = requestKey(this.name, this.model, req);
    const response = this.answers.byKey.get(key);
    if (!response) throw new ReplayMissError(this.answers, key, req, this.name, this.model);
    return { ...response, cached: true };
  }

  async close(): Promise<void> {}
}
