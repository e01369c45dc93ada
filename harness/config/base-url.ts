import type { ConfigIssue } from '../errors.ts';
import { userinfoSecrets } from '../secrets/scrubber.ts';
import { substituteEnv } from './env.ts';
import { checkBaseUrl, truncateForMessage } from './sendable.ts';

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
  // A `%` in the userinfo that starts no %XX byte (a generated password, `${PASS}`) cannot be decoded into the Basic credential.
  if (!decodable(url.username) || !decodable(url.password)) {
    issues.push({ path: at, message: `the URL's user or password holds a % that is not percent-encoding (%XX)${base.usedEnv ? ' (after ${ENV} substitution: check the variable)' : ''}; write a literal % as %25 (percent-encode the credential)` });
    return { url: base.value, secrets: [url.username, url.password].filter(Boolean) };
  }
  const secrets = userinfoSecrets(url);
  // Environment values that land in the query string (`?key=${KEY}`) are credentials too.
  for (const v of base.values) if (url.search.includes(v) || url.search.includes(encodeURIComponent(v))) secrets.push(v);
  // And in the path (`https://api.example/bot${TOKEN}/`), as in a route path: a value of 4+ characters
  // taken from the environment (not a fallback written in the config).
  for (const v of fromEnv(template, env)) if (v.length >= 4 && (url.pathname.includes(v) || url.pathname.includes(encodeURIComponent(v)))) secrets.push(v);
  const out: ResolvedBaseUrl = { url: base.value.replace(/\/+$/, ''), secrets };
  if (url.username || url.password) {
    if (headerNames.some((h) => h.toLowerCase() === 'authorization')) {
      issues.push({ path: at, message: 'the URL has credentials (user:password@) and the target also sets headers.authorization; keep one of them' });
    }
    const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    out.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    url.username = '';
    url.password = '';
    out.url = url.href.replace(/\/+$/, '');
  }
  return out;
}

/** The values a template's `${NAME}`s took from the environment itself (fallbacks left out). */
function fromEnv(template: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    const v = env[m[1]!];
    if (v) out.push(v);
  }
  return out;
}

function decodable(s: string): boolean {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}
