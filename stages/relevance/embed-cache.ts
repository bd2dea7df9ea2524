/**
 * A vector cache in front of an embedder, like the LLM response cache: one file per passage, named by a hash of
 * the model id and the text, holding its raw float32 vector. Reruns and other runs on the same machine embed
 * nothing twice. Files are written to a temporary name and renamed, so a killed run leaves no torn vector.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from '../../core/atomic.js';
import type { Embedder } from './embed.js';

export interface EmbedCacheStats {
  /** Passages the model embedded. */
  embedded: number;
  /** Passages read from the cache. */
  hits: number;
}

export function cachedEmbedder(inner: Embedder, dir: string): Embedder & { stats: EmbedCacheStats } {
  const stats: EmbedCacheStats = { embedded: 0, hits: 0 };
  const pathOf = (text: string) => {
    const key = createHash('sha256').update(`${inner.model}\u0000${text}`).digest('hex');
    return join(dir, key.slice(0, 2), `${key}.f32`);
  };
  const read = async (file: string): Promise<Float32Array | undefined> => {
    try {
      const buf = await readFile(file);
      // A file of the wrong size is not a vector of this model: embed again and overwrite it.
      if (buf.length !== inner.dim * 4) return undefined;
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    stats,
    get dim() {
      return inner.dim;
    },
    get model() {
      return inner.model;
    },
    async embed(texts) {
      const out: Float32Array[] = [];
      for (const text of texts) {
        const file = pathOf(text);
        const hit = await read(file);
        if (hit) {
          stats.hits++;
          out.push(hit);
          continue;
        }
        const [v] = await inner.embed([text]);
        stats.embedded++;
        await replaceFile(file, new Uint8Array(v!.buffer, v!.byteOffset, v!.byteLength));
        out.push(v!);
      }
      return out;
    },
    close: () => inner.close(),
  };
}
