import { decodedBody } from './capture.ts';

/** What a HAR request says of its body: `postData` (HAR 1.2), `bodySize`, and HTTP Toolkit's `_content` / `_requestBodyStatus`. */
export interface HarRequestBody {
  postData?: { mimeType?: unknown; text?: unknown; encoding?: unknown; params?: unknown };
  bodySize?: unknown;
  _content?: { text?: unknown; encoding?: unknown };
  _requestBodyStatus?: unknown;
}

/** Characters every form encoder leaves as they are: a value made of them has one urlencoded form. */
const PLAIN = /^[A-Za-z0-9\-._*]*$/;
/**
 * A urlencoded form given only as `params` (no text): HAR exporters differ on whether a param is
 * written encoded (Chrome, IE) or decoded (Firefox), and a decoded space was sent as `+` or `%20`;
 * so the body is rebuilt only when every name and value has a single encoded form.
 */
function fromParams(params: unknown[], mimeType: string): { body: string } | { problem: string } {
  const ps = params as { name?: unknown; value?: unknown; fileName?: unknown; contentType?: unknown }[];
  if (ps.some((p) => p?.fileName !== undefined || p?.contentType !== undefined) || mimeType.startsWith('multipart/')) {
    return { problem: 'the body is given only as postData.params of a multipart form (no text): its bytes (boundary, part headers) cannot be rebuilt; export the HAR with request bodies' };
  }
  if (!mimeType.startsWith('application/x-www-form-urlencoded')) return { problem: `the body is given only as postData.params (no text) of ${JSON.stringify(mimeType || 'no mimeType')}: only a urlencoded form can be rebuilt from params` };
  const fields = ps.map((p) => [String(p?.name ?? ''), String(p?.value ?? '')] as const);
  if (fields.some(([n, v]) => !PLAIN.test(n) || !PLAIN.test(v))) {
    return { problem: 'the body is given only as postData.params (no text), with a name or value that has more than one urlencoded form (a space as + or %20, a symbol escaped or not, already encoded or not): the bytes sent are unknown; export the HAR with postData.text' };
  }
  return { body: fields.map(([n, v]) => `${n}=${v}`).join('&') };
}

/**
 * The body a HAR request was sent with, as bytes when they are not UTF-8: `postData.text` (decoded
 * when its `encoding` is base64), HTTP Toolkit's `_content` for a body HAR text cannot hold, or a
 * urlencoded form rebuilt from `params`. When the HAR does not hold the body as sent (dropped by the
 * exporter, an encoding or form that cannot be rebuilt, fewer or more bytes than its
 * `content-length`), the reason: the entry is bad, never sent with another body.
 */
export function harBody(r: HarRequestBody, headers: Record<string, string>): { body: string | Buffer | undefined } | { problem: string } {
  const status = typeof r._requestBodyStatus === 'string' ? r._requestBodyStatus : '';
  const pd = r.postData && typeof r.postData === 'object' ? r.postData : undefined;
  const mimeType = String(pd?.mimeType ?? headers['content-type'] ?? '').toLowerCase();
  let got: { body: string | Buffer | undefined } | { problem: string };
  if (r._content && typeof r._content.text === 'string') got = decodedBody(r._content.text, r._content.encoding, { text: '_content.text', encoding: '_content.encoding' });
  else if (status.startsWith('discarded')) return { problem: `the exporter did not keep this request's body (_requestBodyStatus ${JSON.stringify(status.slice(0, 40))})` };
  else if (typeof pd?.text === 'string' && (pd.text !== '' || !Array.isArray(pd.params) || !pd.params.length)) got = decodedBody(pd.text, pd.encoding, { text: 'postData.text', encoding: 'postData.encoding' });
  else if (Array.isArray(pd?.params) && pd.params.length) got = fromParams(pd.params, mimeType);
  else got = { body: undefined };
  if ('problem' in got) return got;
  const bytes = got.body === undefined ? 0 : typeof got.body === 'string' ? Buffer.byteLength(got.body) : got.body.length;
  const length = headers['content-length'] !== undefined && /^\d+$/.test(headers['content-length'].trim()) ? Number(headers['content-length']) : undefined;
  if (length !== undefined && length !== bytes) {
    return { problem: `the HAR holds ${bytes} body bytes where the request's content-length says ${length}: the exporter did not keep the body as sent${bytes === 0 ? ' (dropped)' : ' (cut, or changed: binary bytes written as text)'}` };
  }
  const size = typeof r.bodySize === 'number' ? r.bodySize : undefined;
  if (bytes === 0 && size !== undefined && size > 0) return { problem: `the HAR holds no body for this request, whose bodySize is ${size}: the exporter did not keep it` };
  return { body: bytes === 0 ? undefined : got.body };
}
