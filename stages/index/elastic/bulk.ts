import type { Client } from '@elastic/elasticsearch';
import type { Doc } from '../../../core/types.js';
import { backoffDelay, sleep } from '../../acquire/retry.js';
import { exactHash } from '../../dedup/exact.js';
import type { ShardResult } from '../contract.js';
import { keywordFields } from '../doc-fields.js';
import { describeEsError, ES_BACKOFF, isTransient } from './connection.js';

export interface BulkOptions {
  client: Client;
  url: string;
  index: string;
  shard: string;
  batchSize: number;
  concurrency: number;
  maxRetries: number;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/** The indexed form of a document: keyword fields for filters, the record (minus its text) for publishing. */
export function esSource(doc: Doc, shard: string) {
  const { text, ...record } = doc;
  const f = keywordFields(doc);
  return {
    text,
    id: doc.id,
    url: f.url,
    crawl: f.crawl,
    domain: f.domain,
    language: f.lang,
    shard,
    exact_hash: exactHash(text),
    length: text.length,
    record,
  };
}

/**
 * Loads one shard's documents with `create` operations keyed by document id, so nothing is ever indexed
 * twice. At most `concurrency` requests are in flight; the reader waits otherwise (back-pressure).
 * Whole requests and single documents refused with 429/503 (or a lost connection) are retried with
 * exponential backoff. A conflict (409) on a document this shard wrote in an earlier, interrupted attempt
 * counts as indexed; one written by another shard is a duplicate, as is an id repeated within the shard.
 */
export async function bulkLoadShard(docs: AsyncIterable<Doc>, o: BulkOptions): Promise<ShardResult> {
  let indexed = 0;
  let duplicates = 0;
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const settleConflicts = async (ids: string[]) => {
    if (ids.length === 0) return;
    const res = await o.client.mget<{ shard?: string }>({
      index: o.index,
      ids,
      _source_includes: ['shard'],
      realtime: true,
    });
    for (const d of res.docs) {
      const owner = 'found' in d && d.found ? d._source?.shard : undefined;
      if (owner === o.shard) indexed++;
      else duplicates++;
    }
  };

  const send = async (batch: Doc[]) => {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt, ES_BACKOFF));
      let items;
      try {
        const res = await o.client.bulk(
          {
            operations: pending.flatMap(doc => [{ create: { _index: o.index, _id: doc.id } }, esSource(doc, o.shard)]),
          },
          { maxRetries: 0 },
        );
        items = res.items;
      } catch (err) {
        if (isTransient(err) && attempt < o.maxRetries) continue;
        throw describeEsError(err, o.url, `bulk-loading shard ${o.shard} into index ${o.index}`);
      }
      const retry: Doc[] = [];
      const conflicts: string[] = [];
      items.forEach((item, i) => {
        const r = item.create!;
        const doc = pending[i]!;
        if (r.status === 201 || r.status === 200) indexed++;
        else if (r.status === 409) conflicts.push(doc.id);
        else if (RETRY_STATUS.has(r.status)) retry.push(doc);
        else {
          throw new Error(
            `Elasticsearch at ${o.url} refused document ${doc.id} of shard ${o.shard} in index ${o.index}: ` +
              `${r.error?.type ?? r.status}: ${r.error?.reason ?? ''}`,
          );
        }
      });
      try {
        await settleConflicts(conflicts);
      } catch (err) {
        throw describeEsError(err, o.url, `checking conflicting ids of shard ${o.shard} in index ${o.index}`);
      }
      if (retry.length > 0 && attempt >= o.maxRetries) {
        throw new Error(
          `Elasticsearch at ${o.url} kept rejecting ${retry.length} documents of shard ${o.shard} (429/503) after ${o.maxRetries} retries`,
        );
      }
      pending = retry;
    }
  };

  const launch = (batch: Doc[]) => {
    const p = send(batch).then(
      () => void inFlight.delete(p),
      err => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
  };

  let batch: Doc[] = [];
  try {
    for await (const doc of docs) {
      if (failure) break;
      if (seen.has(doc.id)) {
        duplicates++;
        continue;
      }
      seen.add(doc.id);
      batch.push(doc);
      if (batch.length >= o.batchSize) {
        launch(batch);
        batch = [];
        while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
      }
    }
    if (!failure && batch.length > 0) launch(batch);
  } finally {
    // Even when the reader fails (a bad input file), let the requests already sent finish first.
    await Promise.all(inFlight);
  }
  if (failure) throw failure;
  return { indexed, duplicates };
}
