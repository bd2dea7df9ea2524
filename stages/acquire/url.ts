import { isS3Url } from '../storage/s3-url.js';

/** http(s) and s3:// inputs are URLs (downloaded first); anything else is a local path. Light: no download code. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input) || isS3Url(input);
}
