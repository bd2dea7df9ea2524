/** A URL with any user:password removed, safe to print; undefined if it is not a URL. */
export function withoutCredentials(raw: string): string | undefined {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return undefined;
  }
}
