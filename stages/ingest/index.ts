/**
 * Ingest: WARC/WET files and pre-extracted JSONL corpora to Docs with provenance.
 *
 * Counters (ctx.counters):
 *   ingest.records.<warc-type>   every WARC record read (warcinfo, request, response, metadata, conversion...)
 *   ingest.docs                  documents emitted (archives and corpora)
 *   ingest.skipped.<reason>      response/conversion records (or corpus lines) not emitted:
 *                                non_html:<mime>, http_status:<code>|invalid, too_large, url_too_long, short_text
 *   ingest.errors.<kind>         malformed input under on_error 'skip' (see IngestErrorKind)
 *   ingest.quirk.<name>          read leniently and kept: status_line (no or a repeated HTTP protocol)
 *   ingest.empty_files           archives without a single record (each also a warning)
 */
export {
  ingestConfigSchema,
  corpusSpecSchema,
  type IngestConfig,
  type IngestConfigInput,
  type CorpusSpec,
} from './config.js';
export { IngestError, type IngestErrorKind } from './errors.js';
export { readArchive, crawlFromFileName, findNextRecordStart } from './archive.js';
export { readRecordAt, type RecordAt } from './reread.js';
export { readCorpus, corpusDocId } from './corpus.js';
export { decodeHtml, detectHtmlEncoding, charsetFromContentType, charsetFromMeta } from './decode.js';
export { extractMainText } from './extract.js';
export { isBoilerplateName } from './class-names.js';
export { identifyLanguage, type LanguageGuess } from './langid.js';
export { readMetadata, type MetadataRecord } from './metadata.js';
export { recordToDoc } from './archive.js';
