/**
 * One place that removes the secrets this process knows from text before it is printed: values of
 * environment variables whose names say they are secret (API keys, tokens, passwords, S3 secret
 * keys), values registered by the code that reads them (the LLM provider's key, whatever its
 * variable is called), and the user:password part of any URL. The logger and the CLI's error
 * printer pass everything through it.
 */
/** A name with one of these words between underscores: OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, HF_TOKEN, DB_PASSWORD. */
const SECRET_ENV_NAME = /(?:^|_)(?:KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|AUTH)(?:_|$)/i;
/** Shorter values are not treated as secrets: replacing them would garble ordinary words. */
const MIN_SECRET_CHARS = 8;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

export const REDACTED = '[redacted]';

const registered = new Set<string>();

/** Remember a secret read from somewhere other than a secret-named environment variable. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= MIN_SECRET_CHARS) registered.add(value);
}

function knownSecrets(): string[] {
  const out = new Set(registered);
  for (const [name, value] of Object.entries(process.env)) {
    if (value && value.length >= MIN_SECRET_CHARS && SECRET_ENV_NAME.test(name)) out.add(value);
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every known secret and every URL's user:password replaced by [redacted]. */
export function redactText(text: string): string {
  let out = text.replace(URL_USERINFO, `$1${REDACTED}@`);
  for (const secret of knownSecrets()) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** The same for every string inside a value (log fields). */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  }
  return value;
}
