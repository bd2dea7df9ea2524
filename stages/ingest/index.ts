export { ingestConfigSchema, corpusSpecSchema, type IngestConfig, type IngestConfigInput, type CorpusSpec } from './config.js';
export { IngestError, type IngestErrorKind } from './errors.js';
export { readArchive, crawlFromFileName, findNextRecordStart } from './archive.js';
export { readRecordAt, type RecordAt } from './reread.js';
export { readCorpus, corpusDocId } from './corpus.js';
export { decodeHtml, detectHtmlEncoding, charsetFromContentType, charsetFromMeta } from './decode.js';
export { extractMainText, isBoilerplateName } from './extract.js';
export { identifyLanguage, type LanguageGuess } from './langid.js';
