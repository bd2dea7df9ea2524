/**
 * How good the published domain is, without labels: a fresh sample of each domain's published documents is
 * judged, giving an estimated precision with a Wilson interval; a sample of the documents the relevance step
 * removed is judged too, giving an estimate of how many on-domain documents it removed.
 */
import { unitHash } from './train.js';
import { wilsonInterval } from './yield.js';

/** Up to `n` ids chosen by a hash of (salt, domain, id): random, yet the same on every run. */
export function sampleIds(ids: Iterable<string>, n: number, domain: string, salt: string): string[] {
  return [...ids]
    .map(id => ({ id, h: unitHash(`${domain}/${id}`, salt) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
    .slice(0, n)
    .map(x => x.id);
}

/**
 * The texts of the documents `sampleIds` would choose from the same ids, in its order, read in one pass and holding
 * only `n` of them (an id met twice keeps its last text).
 */
export async function sampleTexts(
  docs: AsyncIterable<{ id: string; text: string }>,
  n: number,
  domain: string,
  salt: string,
): Promise<string[]> {
  const kept: { id: string; h: number; text: string }[] = [];
  const byId = new Map<string, { text: string }>();
  const before = (a: { id: string; h: number }, b: { id: string; h: number }) =>
    a.h < b.h || (a.h === b.h && a.id < b.id);
  for await (const doc of docs) {
    const held = byId.get(doc.id);
    if (held) {
      held.text = doc.text;
      continue;
    }
    const entry = { id: doc.id, h: unitHash(`${domain}/${doc.id}`, salt), text: doc.text };
    if (kept.length === n && (n === 0 || !before(entry, kept[n - 1]!))) continue;
    let i = kept.length;
    while (i > 0 && before(entry, kept[i - 1]!)) i--;
    kept.splice(i, 0, entry);
    byId.set(entry.id, entry);
    if (kept.length > n) byId.delete(kept.pop()!.id);
  }
  return kept.map(k => k.text);
}

export interface ShareEstimate {
  /** Readable judgements in the sample (unreadable answers are left out). */
  sample: number;
  on_domain: number;
  /** on_domain / sample, or null with an empty sample. */
  share: number | null;
  low: number;
  high: number;
}

/**
 * The share of on-domain verdicts with a Wilson interval. With `population` (the documents the sample was drawn
 * from, without replacement) the interval narrows by the finite population correction, to the point itself when
 * every document was judged: what is left is the judge's own error, which no interval here counts.
 */
export function shareEstimate(verdicts: (boolean | null)[], confidence: number, population?: number): ShareEstimate {
  const readable = verdicts.filter((v): v is boolean => v !== null);
  const on = readable.filter(Boolean).length;
  const n = readable.length;
  const { low, high } =
    population !== undefined && n > 0 && n >= population
      ? { low: on / n, high: on / n }
      : population !== undefined && n > 1
        ? wilsonInterval((on * effectiveTrials(n, population)) / n, effectiveTrials(n, population), confidence)
        : wilsonInterval(on, n, confidence);
  const r4 = (x: number) => Number(x.toFixed(4));
  return {
    sample: readable.length,
    on_domain: on,
    share: readable.length ? r4(on / readable.length) : null,
    low: r4(low),
    high: r4(high),
  };
}

/** n draws without replacement from N carry the information of n·(N−1)/(N−n) draws with replacement. */
function effectiveTrials(n: number, population: number): number {
  return (n * (population - 1)) / (population - n);
}

export interface DomainEstimate {
  domain: string;
  published: number;
  /** Estimated precision of the published documents. */
  precision: ShareEstimate;
  /** Documents the relevance step removed from the domain. */
  removed: number;
  /** Share of the removed ones the judge thinks on-domain, and that share applied to the removed count. */
  removed_on_domain: ShareEstimate & { documents: number | null; documents_low: number; documents_high: number };
}

export function domainEstimate(
  domain: string,
  published: number,
  publishedVerdicts: (boolean | null)[],
  removed: number,
  removedVerdicts: (boolean | null)[],
  confidence: number,
): DomainEstimate {
  const r = shareEstimate(removedVerdicts, confidence, removed);
  return {
    domain,
    published,
    precision: shareEstimate(publishedVerdicts, confidence, published),
    removed,
    removed_on_domain: {
      ...r,
      documents: r.share === null ? null : Math.round(r.share * removed),
      documents_low: Math.round(r.low * removed),
      documents_high: Math.round(r.high * removed),
    },
  };
}
