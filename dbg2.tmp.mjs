import { WARCParser } from 'warcio';
import { createReadStream } from 'node:fs';
const p = new WARCParser(createReadStream(process.argv[2], {highWaterMark: 1<<16}), { parseHttp: false });
for (;;) {
  const r = await p.parse();
  console.log('parsed', r && r.warcType, 'offset', p.offset, 'compressed', p._reader.compressed, 'raw', p._reader.getRawOffset(), 'cl', r && r.warcHeaders.headers.get('Content-Length'));
  if (!r) break;
  let got = 0; for await (const c of r.reader) got += c.length;
  console.log(' got', got, 'compressed', p._reader.compressed, 'saved', p._reader._savedChunk && Buffer.from(p._reader._savedChunk.slice(0,20)).toString(), 'ended', p._reader.inflator?.ended, 'chunks', p._reader.inflator?.chunks.length);
}
