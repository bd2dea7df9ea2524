import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Doc } from '../../pipeline/types.js';
import type { MinhashConfig } from './config.js';
import { captureTime, exactKey, urlKey } from './doc-key.js';
import { bandKeys, MinHasher } from './minhash.js';
import { sortByKey } from './radix-sort.js';

/**
 * One shard's dedup input, in one binary file (u32 little-endian sections after a JSON header):
 * ids, per-document meta (META_FIELDS), MinHash signatures, and for each band the bucket keys
 * sorted by key, (hi, lo, local index) triples: the sorted runs the dedup barrier merges.
 */
const MAGIC = 'QCCMH001';
export const META_FIELDS = 7;
export const Meta = { queries: 0, length: 1, exactHi: 2, exactLo: 3, urlHi: 4, urlLo: 5, time: 6 } as const;

export interface SignatureHeader {
  docs: number;
  ngram: number;
  bands: number;
  rows: number;
  seed: number;
  first_id?: string;
  last_id?: string;
  /** Byte offsets from the start of the data (after the header). */
  sections: { ids: number; ids_bytes: number; meta: number; signatures: number; bands: number };
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
    const keys = new Uint32Array(2 * bands);
    const his = Array.from({ length: bands }, () => new Uint32Array(n));
    const los = Array.from({ length: bands }, () => new Uint32Array(n));
    for (let d = 0; d < n; d++) {
      bandKeys(sigs.subarray(d * perm, (d + 1) * perm), bands, rows, keys);
      for (let b = 0; b < bands; b++) {
        his[b]![d] = keys[2 * b]!;
        los[b]![d] = keys[2 * b + 1]!;
      }
    }
    const bandRuns = new Uint32Array(3 * n * bands);
    for (let b = 0; b < bands; b++) {
      const idx = new Uint32Array(n);
      for (let d = 0; d < n; d++) idx[d] = d;
      sortByKey(his[b]!, los[b]!, idx);
      const base = 3 * n * b;
      for (let d = 0; d < n; d++) {
        bandRuns[base + 3 * d] = his[b]![d]!;
        bandRuns[base + 3 * d + 1] = los[b]![d]!;
        bandRuns[base + 3 * d + 2] = idx[d]!;
      }
    }
    const idsBuf = Buffer.from(this.ids.join('\n'), 'utf8');
    const idsPadded = (idsBuf.length + 3) & ~3;
    const meta = this.meta.view();
    const sections = { ids: 0, ids_bytes: idsBuf.length, meta: idsPadded, signatures: idsPadded + meta.byteLength, bands: idsPadded + meta.byteLength + sigs.byteLength };
    const header: SignatureHeader = { docs: n, ngram: this.cfg.ngram, bands, rows, seed: this.cfg.seed, first_id: this.ids[0], last_id: this.ids.at(-1), sections };
    let json = Buffer.from(JSON.stringify(header), 'utf8');
    json = Buffer.concat([json, Buffer.alloc(((json.length + 3) & ~3) - json.length, 0x20)]);
    const lenBuf = Buffer.alloc(4);
    lenBuf.writeUInt32LE(json.length);
    const file = await open(this.path, 'w');
    try {
      for (const part of [Buffer.from(MAGIC), lenBuf, json, idsBuf, Buffer.alloc(idsPadded - idsBuf.length), u8(meta), u8(sigs), u8(bandRuns)]) {
        await file.write(part);
      }
    } finally {
      await file.close();
    }
    return header;
  }
}

const u8 = (a: Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Random access to a signature file: header, ids, meta, one signature, and band runs in blocks. */
export class SignatureFile {
  private readonly fd: number;
  readonly header: SignatureHeader;
  private readonly dataStart: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const head = Buffer.alloc(12);
    readSync(this.fd, head, 0, 12, 0);
    if (head.subarray(0, 8).toString() !== MAGIC) throw new Error(`${path}: not a qcc MinHash signature file`);
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

  /** The band's sorted (hi, lo, local) triples, `block` records at a time. */
  *bandRun(band: number, block = 65536): Generator<Uint32Array> {
    const n = this.header.docs;
    const base = this.header.sections.bands + band * n * 12;
    for (let at = 0; at < n; at += block) {
      const count = Math.min(block, n - at);
      yield this.u32(base + at * 12, count * 3);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
