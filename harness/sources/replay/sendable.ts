import { getOwn } from '../../json/own.ts';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { checkHeaderName, checkHeaderValue, checkPath } from '../../config/sendable.ts';
import type { ConfigIssue } from '../../errors.ts';
import type { CapturedRequest } from './capture.ts';
import { outgoing, type ReplayFilters } from './filter.ts';

/** RFC 9110 §9.1: a method is a token (undici refuses any other). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Content codings whose captured bytes can be checked; any other is sent as captured. */
const DECODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => gunzipSync(b, { maxOutputLength: 64 << 20 }),
  'x-gzip': (b) => gunzipSync(b, { maxOutputLength: 64 << 20 }),
  deflate: (b) => inflateSync(b, { maxOutputLength: 64 << 20 }),
  br: (b) => brotliDecompressSync(b, { maxOutputLength: 64 << 20 }),
};

/** A body declared content-encoded must decode as such: a capture holds bodies as text, so compressed bytes read as UTF-8 are lost. */
function bodyProblem(headers: Record<string, string>, body: string | Buffer | undefined): string | undefined {
  const coding = headers['content-encoding']?.trim().toLowerCase();
  if (!coding || coding === 'identity' || body === undefined || body.length === 0) return undefined;
  const decode = getOwn(DECODERS, coding);
  if (!decode) return undefined;
  try {
    decode(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
    return undefined;
  } catch (err) {
    // Over the output bound: it did decode that far, so it is what was declared.
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    return `the body does not decode as its content-encoding ${JSON.stringify(coding)} (compressed bytes held as text are lost; capture the body uncompressed)`;
  }
}

/**
 * Why a captured request cannot be sent as it would go out (path rewritten, headers dropped and
 * copied as `replayPair` does), or undefined. undici refuses such a request at send, on both
 * sides, which would count as two connect errors, a backend failure that never happened; so it
 * is a bad entry instead, under `--max-corrupt`. The checks are the config's (config/sendable.ts);
 * a header value is never echoed (it may be a secret).
 */
export function unsendable(req: CapturedRequest, filters: Pick<ReplayFilters, 'dropHeaders' | 'rewrites' | 'copy'>): string | undefined {
  if (req.unusable) return `cannot be sent as captured: ${req.unusable}`;
  const issues: ConfigIssue[] = [];
  if (!TOKEN.test(req.method)) issues.push({ path: 'method', message: `method ${JSON.stringify(req.method.slice(0, 20))} is not an HTTP token` });
  else if (req.method.toUpperCase() === 'CONNECT') issues.push({ path: 'method', message: 'method CONNECT opens a tunnel, not a request to replay' });
  const { path, headers, body } = outgoing(req, filters);
  checkPath(path, 'path', issues);
  for (const [name, value] of Object.entries(headers)) {
    checkHeaderName(name, name, issues);
    const values: ConfigIssue[] = [];
    checkHeaderValue(value, name, values);
    issues.push(...values.map((v) => ({ ...v, message: `header ${name}: ${v.message}` })));
  }
  const coded = bodyProblem(headers, body);
  if (coded) issues.push({ path: 'body', message: coded });
  return issues.length ? `cannot be sent as written: ${issues.map((i) => i.message).join('; ')}` : undefined;
}
