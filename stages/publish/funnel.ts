import type { Manifest } from '../write/manifest.js';

function sumWithPrefix(counters: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counters)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

/**
 * The manifest's funnel from the steps' counters: ingest, index, retrieve (the first document step), then each
 * document step's `<step>.in`, `<step>.out` and `<step>.removed.<rule>`. `indexed`: the documents indexed (or,
 * with no index, those stream retrieval scored).
 */
export function funnelOf(
  counts: Manifest['counts'],
  ingest: Record<string, number>,
  indexed: number,
  docSteps: string[],
): Manifest['funnel'] {
  const ingestOut = ingest['ingest.docs'] ?? 0;
  const skipped = sumWithPrefix(ingest, 'ingest.skipped.');
  const first = docSteps[0]!;
  const retrieved = counts[first]![`${first}.docs`] ?? 0;
  const rows: Manifest['funnel'] = [
    {
      step: 'ingest',
      in: ingestOut + Object.values(skipped).reduce((a, b) => a + b, 0),
      out: ingestOut,
      removed: skipped,
    },
    { step: 'index', in: ingestOut, out: indexed, removed: { duplicate_id: ingestOut - indexed } },
    { step: 'retrieve', in: indexed, out: retrieved, removed: { not_retrieved: indexed - retrieved } },
  ];
  for (const step of docSteps.slice(1)) {
    const c = counts[step]!;
    rows.push({
      step,
      in: c[`${step}.in`] ?? 0,
      out: c[`${step}.out`] ?? 0,
      removed: sumWithPrefix(c, `${step}.removed.`),
    });
  }
  return rows;
}
