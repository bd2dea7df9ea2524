import { createHash } from 'node:crypto';

/**
 * The shards the sampled statistics read: the share `fraction` of them (at least one) with the smallest
 * hash of their id, so the sample is spread over the inputs and the same on every worker and every resume.
 */
/**
 * The shards that give the score floors (floors.ts): `max` of them, chosen as `sampleShards` chooses, but at most
 * a quarter of all (none below 4 shards), since each floor shard is scored twice.
 */
export function floorSample<S extends { id: string }>(shards: S[], max: number): S[] {
  const n = Math.min(max, Math.floor(shards.length / 4));
  return n > 0 ? sampleShards(shards, n / shards.length) : [];
}

export function sampleShards<S extends { id: string }>(shards: S[], fraction: number): S[] {
  const n = Math.max(1, Math.round(shards.length * fraction));
  const key = (s: S) => createHash('sha1').update(s.id).digest('hex');
  const chosen = new Set([...shards].sort((a, b) => key(a).localeCompare(key(b))).slice(0, n));
  return shards.filter(s => chosen.has(s));
}
