/**
 * Acquire: Common Crawl listings, fault-tolerant downloads, the CDX index API and single records
 * fetched by byte range. The base URLs are configurable so a local server can stand in.
 */
export {
  acquireConfigSchema,
  DEFAULT_BASE_URL,
  DEFAULT_INDEX_URL,
  type AcquireConfig,
  type AcquireConfigInput,
} from './config.js';
export { AcquireError } from './errors.js';
export {
  withRetries,
  timedGet,
  getBytes,
  parseRetryAfter,
  backoffDelay,
  RetryableError,
  type RetryOptions,
} from './retry.js';
export { downloadFile, downloadAll, parseContentRange, type DownloadResult, type DownloadOptions } from './download.js';
export { listCrawlFiles, pathsUrl, fileUrl, FILE_KINDS, CRAWL_ID, type FileKind } from './paths.js';
export { CdxClient, indexEndpoint, type CdxQuery } from './cdx.js';
export { cdxRecordsOf, toCdxjLine, fromCdxjLine, cdxTimestamp, type CdxRecord } from './cdxj.js';
export { surt } from './surt.js';
export { fetchRecord, fetchRecordBytes, type FetchedRecord } from './fetch-record.js';
export { resolveInputs } from './inputs.js';
export {
  listCrawls,
  newestFirst,
  collinfoUrl,
  ccInputSpecSchema,
  resolveCcInputs,
  resolveCrawlIds,
  retryOptionsOf,
  type CrawlInfo,
  type CcInputSpec,
  type CcInputSpecInput,
} from './crawls.js';
