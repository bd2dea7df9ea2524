import { createReadStream } from 'node:fs';
import { WARCParser } from 'warcio';

/** The real response records of a file, each as WARC head text and block bytes (for tests that rewrite them). */
export async function realResponses(file: string): Promise<{ head: string; block: Buffer }[]> {
  const out: { head: string; block: Buffer }[] = [];
  const parser = new WARCParser(createReadStream(file), { parseHttp: false, keepHeadersCase: true });
  for (;;) {
    const r = await parser.parse();
    if (!r) break;
    const chunks: Uint8Array[] = [];
    for await (const c of r.reader) chunks.push(c);
    if (r.warcType === 'response') out.push({ head: r.warcHeaders.toString().trimEnd(), block: Buffer.concat(chunks) });
  }
  return out;
}
