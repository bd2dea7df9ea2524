/**
 * Pre-extracted corpora (JSONL or JSONL.gz, one JSON object per line) to documents. Only the id,
 * text and (optionally) url fields are read: every other field, labels above all, stays behind.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { CorpusSource, Doc, StageContext } from '../../core/types.js';
import { sha1Hex, startsWithGzipMagic } from './archive.js';
import type { CorpusSpec, IngestConfig } from './config.js';
import { IngestError } from './errors.js';
import { identifyLanguage } from './langid.js';
import { cappedLines } from './lines.js';

/** The doc id of a corpus record: sha1 of "corpus:<file basename>:<original id>". */
export function corpusDocId(file: string, originalId: string): string {
  return sha1Hex(`corpus:${basename(file)}:${originalId}`);
}

/** The longest corpus line read: room for a document of max_page_bytes with JSON escapes and other fields. */
export function maxLineBytes(config: IngestConfig): number {
  return 4 * config.max_page_bytes;
}

export async function* readCorpus(spec: CorpusSpec, ctx: StageContext<IngestConfig>): AsyncGenerator<Doc> {
  const file = spec.path;
  const idField = spec.id_field ?? 'id';
  const textField = spec.text_field ?? 'text';
  try {
    if (!(await stat(file)).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IngestError(
      code === 'ENOENT' ? 'missing_file' : 'read_error',
      `${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? e})`}`,
      { file },
      { cause: e },
    );
  }
  const raw = createReadStream(file);
  const gz = await startsWithGzipMagic(file);
  const input: Readable = gz ? raw.pipe(zlib.createGunzip()) : raw;
  // pipe() does not forward errors: a read error must reach the iterator through the gunzip stream.
  if (gz) raw.on('error', e => input.destroy(e));
  const maxLine = maxLineBytes(ctx.config);
  const lines = cappedLines(input, maxLine);
  let lineNo = 0;
  const fail = (err: IngestError): IngestError | undefined => {
    if (ctx.config.on_error === 'fail') return err;
    ctx.counters.add(`ingest.errors.${err.kind}`);
    ctx.log.warn(err.message, { file, line: err.line, kind: err.kind });
    return undefined;
  };
  try {
    for await (const line of lines) {
      lineNo++;
      ctx.signal.throwIfAborted();
      if (typeof line !== 'string') {
        const err = fail(
          new IngestError(
            'line_too_long',
            `${file}: line ${lineNo}: longer than ${maxLine} bytes (4 x ingest.max_page_bytes)`,
            {
              file,
              line: lineNo,
            },
          ),
        );
        if (err) throw err;
        continue;
      }
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        const err = fail(
          new IngestError('bad_json', `${file}: line ${lineNo}: invalid JSON (${(e as Error).message})`, {
            file,
            line: lineNo,
          }),
        );
        if (err) throw err;
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        const err = fail(
          new IngestError('bad_json', `${file}: line ${lineNo}: not a JSON object`, { file, line: lineNo }),
        );
        if (err) throw err;
        continue;
      }
      const rec = obj as Record<string, unknown>;
      const id = rec[idField];
      const text = rec[textField];
      const field =
        typeof id !== 'string' && typeof id !== 'number' ? idField : typeof text !== 'string' ? textField : undefined;
      if (field !== undefined || (typeof id !== 'string' && typeof id !== 'number') || typeof text !== 'string') {
        const name = field ?? idField;
        const err = fail(
          new IngestError('missing_field', `${file}: line ${lineNo}: missing or non-string field "${name}"`, {
            file,
            line: lineNo,
            field: name,
          }),
        );
        if (err) throw err;
        continue;
      }
      const originalId = String(id);
      const body = text.trim();
      if (body.length < ctx.config.min_text_chars) {
        ctx.counters.add('ingest.skipped.short_text');
        continue;
      }
      const source: CorpusSource = { kind: 'corpus', file, line: lineNo, original_id: originalId };
      const doc: Doc = { id: corpusDocId(file, originalId), text: body, source, lang: identifyLanguage(body) };
      if (spec.url_field !== undefined) {
        const url = rec[spec.url_field];
        if (typeof url === 'string' && url.trim()) doc.url = url.trim();
      }
      ctx.counters.add('ingest.docs');
      yield doc;
    }
  } catch (e) {
    if (e instanceof IngestError || ctx.signal.aborted) throw e;
    // A gzip or read error from the stream: say where the readable part ended.
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const truncated = code === 'Z_BUF_ERROR' || /unexpected end/i.test((e as Error).message);
    const kind = truncated ? 'truncated_gzip' : code.startsWith('Z_') ? 'corrupt_gzip' : 'read_error';
    const what = truncated ? 'truncated gzip data' : `${kind.replace('_', ' ')} (${(e as Error).message})`;
    const err = new IngestError(kind, `${file}: line ${lineNo + 1}: ${what}`, { file, line: lineNo + 1 }, { cause: e });
    if (fail(err)) throw err;
  } finally {
    await lines.return(undefined);
    input.destroy();
    raw.destroy();
  }
}
