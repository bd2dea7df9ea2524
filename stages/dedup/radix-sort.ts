/**
 * Sorts records (hi, lo, value) by the 64-bit key hi:lo with an LSD radix sort (four 16-bit passes):
 * linear time and no comparator calls, which matters for millions of bucket keys.
 */
export function sortByKey(hi: Uint32Array, lo: Uint32Array, value: Uint32Array): void {
  const n = hi.length;
  let sHi = hi,
    sLo = lo,
    sVal = value;
  let dHi: Uint32Array = new Uint32Array(n),
    dLo: Uint32Array = new Uint32Array(n),
    dVal: Uint32Array = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? sLo : sHi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(src[i]! >>> shift) & 0xffff]!++;
      dHi[at] = sHi[i]!;
      dLo[at] = sLo[i]!;
      dVal[at] = sVal[i]!;
    }
    [sHi, dHi] = [dHi, sHi];
    [sLo, dLo] = [dLo, sLo];
    [sVal, dVal] = [dVal, sVal];
  }
  // Four passes: the sorted data is back in the caller's arrays.
}
