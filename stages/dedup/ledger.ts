import { closeSync, openSync, writeSync } from 'node:fs';
import { mergeRecords } from './band-merge.js';
import {
  headerBytes,
  KeyRun,
  layout,
  META_FIELDS,
  type SignatureFile,
  type SignatureHeader,
  u8,
} from './signature-file.js';

/**
 * A version's dedup ledger (`<version>/ledger/dedup-keys.bin`): the dedup keys of every document the
 * version published, so a later version can drop what duplicates it without re-reading its text.
 * Same layout as a shard's signature file (signature-file.ts): ids, meta (exact-text key, URL key,
 * capture time, query count, length), the MinHash signatures (so a cross-version near-duplicate candidate
 * is verified like an in-run one), and the sorted runs of the band keys, exact keys and URL keys, each
 * one globally sorted run over the whole version. Reading one is `new SignatureFile(path)`.
 */
export interface PriorLedger {
  version: string;
  path: string;
}

const BLOCK = 65536;

class BlockWriter {
  private readonly buf = new Uint32Array(3 * BLOCK);
  private at = 0;
  constructor(private readonly fd: number) {}
  push(a: number, b: number, c: number): void {
    this.buf[this.at++] = a;
    this.buf[this.at++] = b;
    this.buf[this.at++] = c;
    if (this.at === this.buf.length) this.flush();
  }
  flush(): void {
    if (this.at > 0) writeAll(this.fd, u8(this.buf.subarray(0, this.at)));
    this.at = 0;
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
}

/**
 * Writes the ledger of the documents `kept` selects among `files` (a run's shard signature files, in id
 * order; `offsets` are the global indices of their first documents). Memory: one block per file and an
 * index map of 4 bytes per document.
 */
export function writeLedger(
  path: string,
  files: SignatureFile[],
  offsets: number[],
  kept: (doc: number) => boolean,
  params: Pick<SignatureHeader, 'ngram' | 'bands' | 'rows' | 'seed'>,
): SignatureHeader {
  const { bands, rows } = params;
  for (const f of files) {
    if (f.header.bands !== bands || f.header.rows !== rows)
      throw new Error(
        `${f.path}: ${f.header.bands}x${f.header.rows} bands, the ledger is written with ${bands}x${rows}`,
      );
  }
  const perm = bands * rows;
  const total = files.reduce((n, f) => n + f.header.docs, 0);
  const base = offsets[0] ?? 0;
  const ledgerIndex = new Int32Array(total).fill(-1);
  let docs = 0,
    idsBytes = 0;
  let firstId: string | undefined, lastId: string | undefined;
  files.forEach((f, s) => {
    const ids = f.ids();
    for (let j = 0; j < ids.length; j++) {
      if (!kept(offsets[s]! + j)) continue;
      ledgerIndex[offsets[s]! - base + j] = docs++;
      idsBytes += Buffer.byteLength(ids[j]!) + (docs > 1 ? 1 : 0);
      firstId ??= ids[j];
      lastId = ids[j];
    }
  });
  const sections = layout(docs, idsBytes, perm);
  const header: SignatureHeader = {
    docs,
    ngram: params.ngram,
    bands,
    rows,
    seed: params.seed,
    first_id: firstId,
    last_id: lastId,
    sections,
  };
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, headerBytes(header));
    let wroteId = false;
    for (const [s, f] of files.entries()) {
      const ids = f.ids().filter((_, j) => ledgerIndex[offsets[s]! - base + j]! >= 0);
      if (ids.length === 0) continue;
      writeAll(fd, Buffer.from((wroteId ? '\n' : '') + ids.join('\n'), 'utf8'));
      wroteId = true;
    }
    writeAll(fd, Buffer.alloc(sections.meta - idsBytes));
    for (const [s, f] of files.entries()) {
      const meta = f.meta();
      const out = new Uint32Array(meta.length);
      let rowsOut = 0;
      for (let j = 0; j < f.header.docs; j++) {
        if (ledgerIndex[offsets[s]! - base + j]! < 0) continue;
        out.set(meta.subarray(j * META_FIELDS, (j + 1) * META_FIELDS), rowsOut++ * META_FIELDS);
      }
      writeAll(fd, u8(out.subarray(0, rowsOut * META_FIELDS)));
    }
    for (const [s, f] of files.entries()) {
      for (let from = 0; from < f.header.docs && perm > 0; from += 4096) {
        const count = Math.min(4096, f.header.docs - from);
        const sigs = f.signatures(from, count);
        let keptSigs = 0;
        for (let j = 0; j < count; j++) {
          if (ledgerIndex[offsets[s]! - base + from + j]! >= 0)
            sigs.copyWithin(keptSigs++ * perm, j * perm, (j + 1) * perm);
        }
        writeAll(fd, u8(sigs.subarray(0, keptSigs * perm)));
      }
    }
    const out = new BlockWriter(fd);
    const visit = (hi: number, lo: number, doc: number) => {
      const at = ledgerIndex[doc - base]!;
      if (at >= 0) out.push(hi, lo, at);
    };
    for (let band = 0; band < bands; band++) mergeRecords(files, offsets, f => f.bandRun(band, BLOCK), visit);
    for (const name of Object.keys(KeyRun) as (keyof typeof KeyRun)[])
      mergeRecords(files, offsets, f => f.keyRun(name, BLOCK), visit);
    out.flush();
  } finally {
    closeSync(fd);
  }
  return header;
}
