import { redactBody, SENSITIVE_HEADER, type ReproducibleRequest } from './redact.ts';
import { Scrubber } from '../secrets/scrubber.ts';

/**
 * A curl command line that sends a recorded request again: method, URL, every header, the body.
 * A credential header never carries its value: it reads a shell variable instead
 * (`-H "authorization: Bearer ${PARITY_TOKEN}"`, the scheme word kept), so the line replays the
 * request once the variable is set and is harmless when pasted anywhere. Credential fields of a
 * JSON body are "[redacted]", and the line goes through the scrubber (config secrets anywhere else,
 * in the URL for one, become "[redacted]").
 */
export interface ReplayCurl {
  curl: string;
  /** Shell variables the line reads, and what each must hold. */
  env: Record<string, string>;
}

const SCHEME = /^(bearer|basic|token|digest|negotiate|apikey|api-key|key|hmac|aws4-hmac-sha256)\s+\S/i;
const single = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** Inside double quotes only `\`, `"`, `$` and the backquote are special. */
const literal = (s: string) => s.replace(/[\\"$`]/g, (c) => `\\${c}`);

/** The variable a credential header reads: `PARITY_TOKEN` for authorization, `PARITY_<HEADER>` for the others. */
export function placeholderFor(header: string): string {
  return header.toLowerCase() === 'authorization' ? 'PARITY_TOKEN' : `PARITY_${header.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export function replayCurl(req: ReproducibleRequest, scrubber: Scrubber): ReplayCurl {
  const parts = ['curl', '-sS', '-i', '-X', req.method, single(req.url)];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!SENSITIVE_HEADER.test(k)) {
      parts.push('-H', single(`${k}: ${v}`));
      continue;
    }
    const name = placeholderFor(k);
    const scheme = SCHEME.exec(v)?.[1];
    parts.push('-H', `"${literal(`${k}: ${scheme ? `${scheme} ` : ''}`)}\${${name}}"`);
    env[name] = `the ${k} header's credential${scheme ? ` (after "${scheme} ")` : ''}, not written here`;
  }
  // A body that is not JSON goes as sent (the scrubber still takes config secrets out).
  if (req.body !== undefined) parts.push('--data-raw', single(redactBody(req.body)));
  return { curl: scrubber.scrub(parts.join(' ')), env };
}
