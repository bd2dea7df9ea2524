/**
 * Whole gzip members of a file, inflated by native zlib, with each member's offset and length.
 *
 * The fast path of readArchive: Common Crawl writes one record per member, so a member is inflated
 * in one inflateRawSync call over a large read buffer (no streams, no per-chunk promises), and its
 * CRC-32 and size are checked from the trailer. Anything unusual (a bad header, corrupt or truncated
 * data, a member larger than the caps, bytes that do not start a member) is not judged here: next()
 * returns `{ stop: offset }` and the caller hands the rest of the file to the careful warcio path,
 * which classifies the fault exactly.
 */
import type { FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';

export interface Member {
  offset: number;
  /** Compressed length: header, deflate data and trailer. */
  length: number;
  data: Buffer;
}

const READ_BYTES = 4 << 20;
/** Members whose compressed form is larger than this go to the careful path. */
const MAX_MEMBER_BYTES = 64 << 20;

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

export class GzipMembers {
  private buf: Buffer = Buffer.alloc(READ_BYTES);
  /** File offset of buf[0], and the number of valid bytes in buf. */
  private base: number;
  private len = 0;
  private pos: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private readonly size: number,
    /** Inflated members larger than this go to the careful path. */
    private readonly maxOutput: number,
  ) {
    this.base = start;
    this.pos = start;
  }

  /** Makes buf hold at least `want` bytes from file offset `at` (fewer only at the end of the file). */
  private async fill(at: number, want: number): Promise<void> {
    const have = this.base + this.len - at;
    if (at >= this.base && have >= want) return;
    if (at < this.base) throw new Error('gzip-members: cannot seek back');
    const need = Math.min(Math.max(want, READ_BYTES), this.size - at);
    let next = this.buf;
    if (need > this.buf.length) next = Buffer.alloc(need + READ_BYTES);
    const keep = Math.max(0, have);
    this.buf.copy(next, 0, at - this.base, at - this.base + keep);
    this.buf = next;
    this.base = at;
    this.len = keep;
    while (this.len < need) {
      const { bytesRead } = await this.fh.read(
        this.buf,
        this.len,
        Math.min(this.buf.length - this.len, this.size - (this.base + this.len)),
        this.base + this.len,
      );
      if (bytesRead === 0) break;
      this.len += bytesRead;
    }
  }

  private available(at: number): number {
    return this.base + this.len - at;
  }

  /** The next member; null at the end of the file; `{ stop }` where the careful path must take over. */
  async next(): Promise<Member | null | { stop: number }> {
    const off = this.pos;
    if (off >= this.size) return null;
    const stop = { stop: off };
    await this.fill(off, 64 * 1024);
    const b = this.buf;
    const h = off - this.base;
    if (this.available(off) < 18 || b[h] !== 0x1f || b[h + 1] !== 0x8b || b[h + 2] !== 8) return stop;
    const flags = b[h + 3]!;
    let d = h + 10;
    if (flags & FEXTRA) d += 2 + b.readUInt16LE(d);
    if (flags & FNAME) d = b.indexOf(0, d) + 1;
    if (flags & FCOMMENT) d = b.indexOf(0, d) + 1;
    if (flags & FHCRC) d += 2;
    if (d <= h || d - h > 32 * 1024 || d >= h + this.available(off)) return stop;
    const headerBytes = d - h;

    let want = this.available(off);
    for (;;) {
      const start = off - this.base + headerBytes;
      let out: { buffer: Buffer; engine: zlib.InflateRaw };
      try {
        out = zlib.inflateRawSync(this.buf.subarray(start, this.len), {
          info: true,
          maxOutputLength: this.maxOutput,
        }) as unknown as {
          buffer: Buffer;
          engine: zlib.InflateRaw;
        };
      } catch (e) {
        const more = (e as { code?: string }).code === 'Z_BUF_ERROR' && this.base + this.len < this.size;
        if (!more || want >= MAX_MEMBER_BYTES) return stop;
        want = Math.min(MAX_MEMBER_BYTES, want * 4);
        await this.fill(off, want);
        continue;
      }
      const consumed = out.engine.bytesWritten;
      const trailer = off + headerBytes + consumed;
      if (this.available(trailer) < 8) await this.fill(off, headerBytes + consumed + 8);
      const t = trailer - this.base;
      if (this.available(trailer) < 8) return stop;
      const data = out.buffer;
      if (this.buf.readUInt32LE(t + 4) !== data.length >>> 0 || this.buf.readUInt32LE(t) !== zlib.crc32(data))
        return stop;
      const length = headerBytes + consumed + 8;
      this.pos = off + length;
      return { offset: off, length, data };
    }
  }
}
