/**
 * Lines of a byte stream with a length cap: a line longer than `maxBytes` is not assembled (node's
 * readline would build it whole and die with "Invalid string length" on a multi-GB line); it is
 * skipped to its end and reported as a TooLongLine in its place, so line numbers stay right.
 * Lines end at "\n"; a "\r" before it is dropped (readline's `crlfDelay: Infinity`).
 */
export interface TooLongLine {
  tooLong: true;
}

const TOO_LONG: TooLongLine = { tooLong: true };

function finish(parts: Buffer[], length: number): string {
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

export async function* cappedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<string | TooLongLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      const piece = chunk.subarray(pos, nl < 0 ? chunk.length : nl);
      if (!skipping) {
        if (length + piece.length > maxBytes) {
          skipping = true;
          parts = [];
          length = 0;
        } else if (piece.length > 0) {
          parts.push(piece);
          length += piece.length;
        }
      }
      if (nl < 0) break;
      if (skipping) yield TOO_LONG;
      else yield finish(parts, length);
      parts = [];
      length = 0;
      skipping = false;
      pos = nl + 1;
    }
  }
  if (skipping) yield TOO_LONG;
  else if (length > 0) yield finish(parts, length);
}
