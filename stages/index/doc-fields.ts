import type { Doc } from '../../core/types.js';

/** The keyword fields both backends filter on, taken from a document record. */
export function keywordFields(doc: Doc): {
  url: string | null;
  domain: string | null;
  lang: string | null;
  crawl: string | null;
} {
  return {
    url: doc.url ?? null,
    domain: doc.domain ?? null,
    lang: doc.lang?.code ?? null,
    crawl: doc.source.kind === 'corpus' ? null : (doc.source.crawl ?? null),
  };
}
