import type { ConfigIssue } from '../errors.ts';
import { userinfoSecrets } from '../secrets/scrubber.ts';

export interface UserinfoBasic {
  /** `Basic base64(user:password)`. */
  authorization: string;
  /** The URL without its userinfo. */
  href: string;
  /** Its parts, raw and decoded, and the credential: scrubbed from every output. */
  secrets: string[];
}

/**
 * A URL's `user:password@` as what it stands for: an `authorization: Basic …` header (HTTP
 * clients drop userinfo and send no credentials), the URL without it, and its parts as secrets.
 * Undefined when the URL has none; null (with a config issue at `at`) when a `%` in it starts no
 * %XX byte (a generated password, `${PASS}`), so the credential cannot be decoded. The caller says
 * what it can about the cause (`hint`) and refuses an explicit authorization header beside it.
 */
export function userinfoAsBasic(url: URL, at: string, issues: ConfigIssue[], hint = ''): UserinfoBasic | null | undefined {
  if (!url.username && !url.password) return undefined;
  let pair: string;
  try {
    pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    issues.push({ path: at, message: `the URL's user or password holds a % that is not percent-encoding (%XX)${hint}; write a literal % as %25 (percent-encode the credential)` });
    return null;
  }
  const secrets = userinfoSecrets(url);
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  return { authorization: `Basic ${Buffer.from(pair).toString('base64')}`, href: bare.href, secrets };
}
