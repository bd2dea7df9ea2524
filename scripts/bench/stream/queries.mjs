// Real query-like texts for the stream benchmarks, in a fixed order: the seed texts of data/seeds/, the BBC
// headlines, English sentences of the Lingua test data, 20 Newsgroups subject lines and short NLTK ABC news sentences (../shared/data), deduplicated
// by their lower-cased text and interleaved by a hash so that any prefix mixes the sources.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repo, sharedData } from './demo-work.mjs';

export function benchQueries(n) {
  const texts = [];
  for (const dir of [join(repo, 'data', 'seeds', 'domains'), join(repo, 'data', 'seeds')]) {
    for (const f of readdirSync(dir).filter(x => x.endsWith('.csv'))) {
      for (const row of readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1))
        texts.push(row.split(',').slice(3).join(','));
    }
  }
  const jsonl = file =>
    gunzipSync(readFileSync(join(sharedData, 'corpora', file)))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l));
  for (const a of jsonl('bbc-news.jsonl.gz')) texts.push(a.text.split('\n')[0]);
  texts.push(
    ...readFileSync(
      join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences', 'en.txt'),
      'utf8',
    ).split('\n'),
  );
  for (const p of jsonl('20news-bydate-train.jsonl.gz')) {
    // The derived posts start with the subject, or with the headers (tab-separated lines) that hold it.
    const first = p.text.split('\t')[0].trim();
    const subject = /^from:/i.test(first) ? /(?:^|\t)subject:\s*([^\t]+)/i.exec(p.text)?.[1] : first;
    if (subject) texts.push(subject.replace(/^(?:re:\s*)+/i, ''));
  }
  // ABC science and rural news sentences of at most 16 words (query length), to reach 10,000 distinct texts.
  for (const part of ['abc/science.txt', 'abc/rural.txt']) {
    const lines = execFileSync('unzip', ['-p', join(sharedData, 'corpora', 'nltk-abc.zip'), part], {
      encoding: 'latin1',
      maxBuffer: 1 << 26,
    }).split('\n');
    texts.push(...lines.filter(l => l.trim().split(/\s+/).length <= 16));
  }
  const seen = new Set();
  const unique = texts
    .map(t => t.trim())
    .filter(t => t.length > 3 && !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
  const key = t => createHash('sha1').update(t).digest('hex');
  const ordered = unique.sort((a, b) => key(a).localeCompare(key(b)));
  if (ordered.length < n) throw new Error(`only ${ordered.length} distinct query texts, ${n} wanted`);
  return ordered.slice(0, n).map((text, i) => ({
    id: `q${i}`,
    domain: `d${i % 4}`,
    text,
    lineage: { seed_id: `q${i}`, round: 0, method: 'seed' },
  }));
}
