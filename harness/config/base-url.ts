import type { ConfigIssue } from '../errors.ts';
import { substituteEnv } from './env.ts';
import { checkBaseUrl, truncateForMessage } from './sendable.ts';
import { userinfoAsBasic } from './userinfo.ts';

export interface ResolvedBaseUrl {
  /** The URL requests go to, without userinfo and without a trailing slash. */
  url: string;
  /** `Basic …` from the URL's userinfo, when it had one: sent as the authorization header. */
  authorization?: string;
  secrets: string[];
}

/**
 * A target's `baseUrl`: `${ENV}` substituted, parsed, and checked for what can be sent. Userinfo
 * (`http://user:${PASS}@host`) is never dropped: it becomes an `authorization: Basic …` header
 * (as curl does), its parts are secrets scrubbed from every output, and a target that also sets
 * `headers.authorization` is a config error (which one would be meant?).
 */
export function resolveBaseUrl(template: string, at: string, env: NodeJS.ProcessEnv, headerNames: readonly string[], issues: ConfigIssue[]): ResolvedBaseUrl {
  const base = substituteEnv(template, env);
  for (const name of base.missing) issues.push({ path: at, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
  if (base.missing.length) return { url: base.value, secrets: [] };
  const shown = base.usedEnv ? template : base.value;
  // The URL parser silently drops tabs and line breaks: a URL carrying them is not what was written.
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\x00-\x20\x7f]/.test(base.value)) {
    issues.push({ path: at, message: `the URL contains a space, line break or control character${base.usedEnv ? ' (after ${ENV} substitution: check the variable)' : ''}; percent-encode it or remove it` });
    return { url: base.value, secrets: [] };
  }
  if (!URL.canParse(base.value)) {
    issues.push({ path: at, message: `"${truncateForMessage(shown)}" is not a URL; expected e.g. "http://127.0.0.1:8000"` });
    return { url: base.value, secrets: [] };
  }
  const url = new URL(base.value);
  checkBaseUrl(url, shown, at, issues);
  const basic = userinfoAsBasic(url, at, issues, base.usedEnv ? ' (after ${ENV} substitution: check the variable)' : '');
  if (basic === null) return { url: base.value, secrets: [url.username, url.password].filter(Boolean) };
  const secrets = basic?.secrets ?? [];
  // Environment values that land in the query string (`?key=${KEY}`) are credentials too.
  for (const v of base.values) if (url.search.includes(v) || url.search.includes(encodeURIComponent(v))) secrets.push(v);
  // And in the path (`https://api.example/bot${TOKEN}/`), as in a route path: a value of 4+ characters
  // taken from the environment (not a fallback written in the config).
  for (const v of base.fromEnv) if (v.length >= 4 && (url.pathname.includes(v) || url.pathname.includes(encodeURIComponent(v)))) secrets.push(v);
  const out: ResolvedBaseUrl = { url: base.value.replace(/\/+$/, ''), secrets };
  if (basic) {
    if (headerNames.some((h) => h.toLowerCase() === 'authorization')) {
      issues.push({ path: at, message: 'the URL has credentials (user:password@) and the target also sets headers.authorization; keep one of them' });
    }
    out.authorization = basic.authorization;
    out.url = basic.href.replace(/\/+$/, '');
  }
  return out;
}

