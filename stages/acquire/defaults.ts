/** Common Crawl's servers: a module of its own (no zod), so the CLI can show them in help without loading the schemas. */
export const DEFAULT_BASE_URL = 'https://data.commoncrawl.org/';
export const DEFAULT_INDEX_URL = 'https://index.commoncrawl.org/';
