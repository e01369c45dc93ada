/**
 * A captured request target as the bytes to send. undici writes a path string one byte per
 * character (Latin-1) and refuses characters beyond U+00FF, so each format says what its path
 * characters stand for: a .gor head is bytes already (read as Latin-1); an access log holds the
 * raw bytes a client sent (UTF-8 text once read); a HAR holds a URL as text, which a browser
 * sends percent-encoded; parity's own capture holds node:http's `req.url`, which is ASCII.
 */

/** Characters that are not ASCII, whole (a lone surrogate is left as it is: no bytes stand for it, and the path check refuses it). */
const NON_ASCII = /[\u0080-\ud7ff\ue000-\uffff]|[\ud800-\udbff][\udc00-\udfff]/g;

const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * The request target of a URL, as written: scheme and authority dropped, the fragment (never sent)
 * too (http or https only, its origin must parse); nothing normalized (a URL parser would resolve `/a/../b`, turn `\` into `/` and strip tabs:
 * requests that were not the ones captured). A path already relative is kept whole.
 */
export function targetOf(url: string): string {
  if (url.startsWith('/')) return url.split('#', 1)[0]!;
  const m = /^https?:\/\/[^/?#]*/i.exec(url);
  // Another scheme (ws:, a browser's data:, blob: or extension URLs) is no HTTP request, and a URL
  // whose origin does not parse (a space in the host) is no URL: left whole, the path check refuses it.
  if (!m || !URL.canParse(m[0])) return url;
  const rest = url.slice(m[0].length).split('#', 1)[0]!;
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** A HAR URL's target as a browser sends it: non-ASCII characters (and spaces) percent-encoded as UTF-8; what is already encoded stays. */
export function harTarget(url: string): string {
  return targetOf(url)
    .replace(NON_ASCII, (c) => [...Buffer.from(c, 'utf8')].map(hex).join(''))
    .replace(/ /g, '%20');
}

/** Text whose characters stand for UTF-8 bytes (an access log's raw path, read as UTF-8), as one character per byte: the same bytes go out. */
export function utf8Target(path: string): string {
  return /[^\p{ASCII}]/u.test(path) ? Buffer.from(path, 'utf8').toString('latin1') : path;
}
