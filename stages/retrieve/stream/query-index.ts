import type { Query } from '../../../core/types.js';
import { queryTerms } from '../fts-query.js';
import { tokens } from './tokenize.js';

/**
 * A query as FTS5 runs it: `toFtsQuery` quotes each content term, and FTS5 tokenizes each quoted term into a
 * phrase (almost always one token). Phrases keep query order and repeats, as bm25() sums over them.
 */
export interface StreamQuery {
  id: string;
  domain: string;
  /** Index into `QueryIndex.phrases` of each of the query's phrases, in query order. */
  phrases: number[];
}

export interface Phrase {
  /** The tokens joined by a space (no token holds a space): the key of its document frequency. */
  key: string;
  tokens: string[];
}

/**
 * The inverted index of the queries: for each phrase, the queries that contain it, and for each token that
 * ends a phrase, the phrases it ends. A document is scored by looking its tokens up here, not the other way.
 */
export class QueryIndex {
  readonly queries: StreamQuery[] = [];
  readonly phrases: Phrase[] = [];
  /** Queries of each phrase (ascending query index, once each). */
  readonly queriesOf: number[][] = [];
  /** Phrases by their last token. */
  readonly byLastToken = new Map<string, number[]>();
  /** The longest phrase, in tokens: how much of the token history a document scan keeps. */
  maxPhraseTokens = 1;

  constructor(queries: Iterable<Query>) {
    const phraseIds = new Map<string, number>();
    for (const q of queries) {
      const index = this.queries.length;
      const phrases: number[] = [];
      for (const term of queryTerms(q.text)) {
        const toks = tokens(term);
        // A quoted term with no token left matches no row in FTS5 and adds no phrase that could score.
        if (toks.length === 0) continue;
        const key = toks.join(' ');
        let id = phraseIds.get(key);
        if (id === undefined) {
          id = this.phrases.length;
          phraseIds.set(key, id);
          this.phrases.push({ key, tokens: toks });
          this.queriesOf.push([]);
          const last = toks[toks.length - 1]!;
          const list = this.byLastToken.get(last) ?? [];
          list.push(id);
          this.byLastToken.set(last, list);
          this.maxPhraseTokens = Math.max(this.maxPhraseTokens, toks.length);
        }
        phrases.push(id);
        const of = this.queriesOf[id]!;
        if (of[of.length - 1] !== index) of.push(index);
      }
      this.queries.push({ id: q.id, domain: q.domain, phrases });
    }
  }
}
