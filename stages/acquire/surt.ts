/**
 * SURT keys as the Common Crawl index sorts them (`com,example)/path?a=1&b=2`): host lower-cased,
 * reversed, a leading "www." and default ports dropped, path and query lower-cased, query sorted.
 */
export function surt(url: string): string {
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    return url.toLowerCase();
  }
  let host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('www.')) host = host.slice(4);
  const parts = host.split('.').reverse();
  const defaultPort = (u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443');
  const port = u.port && !defaultPort ? `:${u.port}` : '';
  const query = u.search.length > 1 ? `?${u.search.slice(1).split('&').sort().join('&')}` : '';
  return `${parts.join(',')}${port})${u.pathname}${query}`.toLowerCase();
}
