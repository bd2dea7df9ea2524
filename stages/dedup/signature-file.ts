import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Doc } from '../../core/types.js';
import type { MinhashConfig } from './config.js';
import { captureTime, exactKey, urlKey } from './doc-key.js';
import { bandKeys, MinHasher } from './minhash.js';
import { sortByKey } from './radix-sort.js';

/**
 * One shard's dedup input, in one binary file (u32 little-endian sections after a JSON header):
 * ids, per-document meta (META_FIELDS), MinHash signatures, then sorted runs of (hi, lo, local index)
 * triples: one per band (the bucket keys), then the exact-text keys, then the URL keys. The dedup
 * barrier merges the runs of all shards from disk. A version's ledger (ledger.ts) has the same layout.
 */
const MAGIC = 'QCCMH002';
export const META_FIELDS = 7;
export const Meta = { queries: 0, length: 1, exactHi: 2, exactLo: 3, urlHi: 4, urlLo: 5, time: 6 } as const;
/** Sorted runs besides the bands' (run index = bands + offset). */
export const KeyRun = { exact: 0, url: 1 } as const;
export type KeyRunName = keyof typeof KeyRun;
const KEY_RUNS = 2;

export interface SignatureHeader {
  docs: number;
  ngram: number;
  bands: number;
  rows: number;
  seed: number;
  first_id?: string;
  last_id?: string;
  /** Byte offsets from the start of the data (after the header). */
  sections: { ids: number; ids_bytes: number; meta: number; signatures: number; runs: number };
}

/** Where each section starts, for `docs` documents whose ids take `idsBytes` bytes joined by newlines. */
export function layout(docs: number, idsBytes: number, perm: number): SignatureHeader['sections'] {
  const idsPadded = (idsBytes + 3) & ~3;
  const meta = idsPadded;
  const signatures = meta + docs * META_FIELDS * 4;
  return { ids: 0, ids_bytes: idsBytes, meta, signatures, runs: signatures + docs * perm * 4 };
}

/** The file's magic, header length and JSON header, padded so the data starts on a 4-byte boundary. */
export function headerBytes(header: SignatureHeader): Buffer {
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  json = Buffer.concat([json, Buffer.alloc(((json.length + 3) & ~3) - json.length, 0x20)]);
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32LE(json.length);
  return Buffer.concat([Buffer.from(MAGIC), lenBuf, json]);
}

/** (hi, lo, index) triples sorted by the 64-bit key hi:lo. */
function sortedRun(hi: Uint32Array, lo: Uint32Array): Uint32Array {
  const n = hi.length;
  const idx = new Uint32Array(n);
  for (let d = 0; d < n; d++) idx[d] = d;
  sortByKey(hi, lo, idx);
  const run = new Uint32Array(3 * n);
  for (let d = 0; d < n; d++) {
    run[3 * d] = hi[d]!;
    run[3 * d + 1] = lo[d]!;
    run[3 * d + 2] = idx[d]!;
  }
  return run;
}

class GrowingU32 {
  data = new Uint32Array(1024);
  length = 0;
  push(values: ArrayLike<number>): void {
    while (this.length + values.length > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class SignatureWriter {
  private readonly hasher: MinHasher;
  private readonly ids: string[] = [];
  private readonly meta = new GrowingU32();
  private readonly sigs = new GrowingU32();
  private readonly sig: Uint32Array;
  private readonly metaRow = new Uint32Array(META_FIELDS);

  constructor(
    readonly path: string,
    readonly cfg: Pick<MinhashConfig, 'ngram' | 'bands' | 'rows' | 'seed'>,
  ) {
    this.hasher = new MinHasher(cfg);
    this.sig = new Uint32Array(this.hasher.permutations);
  }

  get docs(): number {
    return this.ids.length;
  }

  add(doc: Doc): void {
    const last = this.ids.at(-1);
    if (last !== undefined && !(doc.id > last)) {
      throw new Error(`${this.path}: document ${doc.id} after ${last}: a shard must be sorted by id with no repeats`);
    }
    this.ids.push(doc.id);
    const [eh, el] = exactKey(doc);
    const [uh, ul] = urlKey(doc);
    const m = this.metaRow;
    m[Meta.queries] = doc.retrieval?.queries ?? doc.retrieval?.hits.length ?? 0;
    m[Meta.length] = doc.text.length;
    m[Meta.exactHi] = eh;
    m[Meta.exactLo] = el;
    m[Meta.urlHi] = uh;
    m[Meta.urlLo] = ul;
    m[Meta.time] = captureTime(doc);
    this.meta.push(m);
    this.sigs.push(this.hasher.signature(doc.text, this.sig));
  }

  async close(): Promise<SignatureHeader> {
    const { bands, rows } = this.cfg;
    const n = this.ids.length;
    const perm = bands * rows;
    const sigs = this.sigs.view();
    const meta = this.meta.view();
    const keys = new Uint32Array(2 * bands);
    const his = Array.from({ length: bands + KEY_RUNS }, () => new Uint32Array(n));
    const los = Array.from({ length: bands + KEY_RUNS }, () => new Uint32Array(n));
    for (let d = 0; d < n; d++) {
      bandKeys(sigs.subarray(d * perm, (d + 1) * perm), bands, rows, keys);
      for (let b = 0; b < bands; b++) {
        his[b]![d] = keys[2 * b]!;
        los[b]![d] = keys[2 * b + 1]!;
      }
      his[bands + KeyRun.exact]![d] = meta[d * META_FIELDS + Meta.exactHi]!;
      los[bands + KeyRun.exact]![d] = meta[d * META_FIELDS + Meta.exactLo]!;
      his[bands + KeyRun.url]![d] = meta[d * META_FIELDS + Meta.urlHi]!;
      los[bands + KeyRun.url]![d] = meta[d * META_FIELDS + Meta.urlLo]!;
    }
    const runs = his.map((hi, r) => sortedRun(hi, los[r]!));
    const idsBuf = Buffer.from(this.ids.join('\n'), 'utf8');
    const sections = layout(n, idsBuf.length, perm);
    const header: SignatureHeader = {
      docs: n,
      ngram: this.cfg.ngram,
      bands,
      rows,
      seed: this.cfg.seed,
      first_id: this.ids[0],
      last_id: this.ids.at(-1),
      sections,
    };
    const file = await open(this.path, 'w');
    try {
      for (const part of [
        headerBytes(header),
        idsBuf,
        Buffer.alloc(sections.meta - idsBuf.length),
        u8(meta),
        u8(sigs),
        ...runs.map(u8),
      ]) {
        await file.write(part);
      }
    } finally {
      await file.close();
    }
    return header;
  }
}

export const u8 = (a: Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Random access to a signature file: header, ids, meta, one signature, and band runs in blocks. */
export class SignatureFile {
  private readonly fd: number;
  readonly header: SignatureHeader;
  private readonly dataStart: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const head = Buffer.alloc(12);
    readSync(this.fd, head, 0, 12, 0);
    const magic = head.subarray(0, 8).toString('latin1');
    if (magic.startsWith('QCCMH') && magic !== MAGIC)
      throw new Error(
        `${path}: a signature file of an older qcc (${magic}, this one reads ${MAGIC}); delete it and run again`,
      );
    if (magic !== MAGIC) throw new Error(`${path}: not a qcc MinHash signature file`);
    const len = head.readUInt32LE(8);
    const json = Buffer.alloc(len);
    readSync(this.fd, json, 0, len, 12);
    this.header = JSON.parse(json.toString('utf8')) as SignatureHeader;
    this.dataStart = 12 + len;
  }

  private read(offset: number, bytes: number): Buffer {
    const buf = Buffer.alloc(bytes);
    let done = 0;
    while (done < bytes) {
      const got = readSync(this.fd, buf, done, bytes - done, this.dataStart + offset + done);
      if (got === 0) throw new Error(`${this.path}: truncated at byte ${this.dataStart + offset + done}`);
      done += got;
    }
    return buf;
  }

  private u32(offset: number, count: number): Uint32Array {
    const b = this.read(offset, count * 4);
    return new Uint32Array(b.buffer, b.byteOffset, count);
  }

  ids(): string[] {
    const { ids, ids_bytes } = this.header.sections;
    return this.header.docs === 0 ? [] : this.read(ids, ids_bytes).toString('utf8').split('\n');
  }

  meta(): Uint32Array {
    return this.u32(this.header.sections.meta, this.header.docs * META_FIELDS);
  }

  signature(local: number): Uint32Array {
    const perm = this.header.bands * this.header.rows;
    return this.u32(this.header.sections.signatures + local * perm * 4, perm);
  }

  /** Signatures of documents from..from+count-1, back to back. */
  signatures(from: number, count: number): Uint32Array {
    const perm = this.header.bands * this.header.rows;
    return this.u32(this.header.sections.signatures + from * perm * 4, count * perm);
  }

  /** Sorted run `run` (bands first, then the key runs) as (hi, lo, local) triples, `block` records at a time. */
  *run(run: number, block = 65536): Generator<Uint32Array> {
    const n = this.header.docs;
    const base = this.header.sections.runs + run * n * 12;
    for (let at = 0; at < n; at += block) {
      const count = Math.min(block, n - at);
      yield this.u32(base + at * 12, count * 3);
    }
  }

  bandRun(band: number, block = 65536): Generator<Uint32Array> {
    return this.run(band, block);
  }

  keyRun(name: KeyRunName, block = 65536): Generator<Uint32Array> {
    return this.run(this.header.bands + KeyRun[name], block);
  }

  close(): void {
    closeSync(this.fd);
  }
}
