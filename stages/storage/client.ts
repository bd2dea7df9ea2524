/**
 * One way to make an S3 client for the whole project. Credentials come from the SDK's default chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE and ~/.aws files, SSO, web
 * identity, container and instance roles): nothing here reads, stores or logs a secret.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { StorageConfigInput } from './config.js';
import { withoutCredentials } from '../shared/url.js';

export type S3ClientSettings = Pick<StorageConfigInput, 'endpoint' | 'region' | 'force_path_style'> & {
  /** No response bytes for this long aborts a request (the caller retries it). */
  timeout_ms?: number;
  /** Attempts the SDK itself makes per request (its standard retry mode: 5xx, throttling, network). */
  max_attempts?: number;
};

/** The endpoint in force: the config's, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; undefined = AWS. */
export function resolveEndpoint(
  settings: Pick<S3ClientSettings, 'endpoint'> = {},
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return settings.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export function s3ClientConfig(settings: S3ClientSettings = {}, env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = resolveEndpoint(settings, env);
  const config: S3ClientConfig = {
    region: settings.region ?? 'us-east-1',
    maxAttempts: settings.max_attempts ?? 4,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: settings.timeout_ms ?? 120_000 },
  };
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = settings.force_path_style ?? true;
    // S3-compatible servers differ in their support of the newer flexible checksums (CRC trailers):
    // send and check them only where the API requires them; object integrity is checked with sha256.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  } else {
    // A bucket in another region than `region` answers 301: follow it instead of failing.
    config.followRegionRedirects = true;
  }
  return config;
}

export function createS3Client(settings: S3ClientSettings = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  // The pinned SDK supports Node 20 (engines >=20); its multi-line notice about future releases needing
  // Node 22 would break the JSON log lines on stderr. Set the variable to "false" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client(s3ClientConfig(settings, env));
}

const shared = new Map<string, S3Client>();

/** One client per distinct settings (and endpoint environment), reused by every download of a process. */
export function sharedS3Client(settings: S3ClientSettings = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  const key = JSON.stringify([
    settings.endpoint,
    settings.region,
    settings.force_path_style,
    settings.timeout_ms,
    settings.max_attempts,
    resolveEndpoint(settings, env),
  ]);
  let client = shared.get(key);
  if (!client) {
    client = createS3Client(settings, env);
    shared.set(key, client);
  }
  return client;
}

/** Where the client sends requests, for logs: the endpoint URL or "AWS S3 (<region>)"; never credentials. */
export function describeEndpoint(settings: S3ClientSettings = {}, env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = resolveEndpoint(settings, env);
  if (!endpoint) return `AWS S3 (${settings.region ?? 'us-east-1'})`;
  return withoutCredentials(endpoint) ?? 'a custom endpoint';
}
