import { sumByTime, type Point } from './stats.ts';

/**
 * The Prometheus HTTP API: range and instant queries, and the dry evaluation preflight uses to
 * reject a query the server cannot parse before any load. Two failures are told apart, because
 * they mean different things: the server was not reached (the data is missing: inconclusive)
 * and the server rejected the query (the config is wrong: a config error at preflight).
 */
export class SourceUnreachable extends Error {
  override name = 'SourceUnreachable';
}
export class QueryRejected extends Error {
  override name = 'QueryRejected';
}

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

async function call(base: string, api: string, params: Record<string, string>, timeoutMs: number): Promise<ApiBody['data']> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/${api}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new SourceUnreachable(`${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  let body: ApiBody;
  try {
    body = (await res.json()) as ApiBody;
  } catch {
    throw new SourceUnreachable(`${base}: HTTP ${res.status} without a Prometheus API answer`);
  }
  if (body.status === 'success') return body.data;
  // bad_data: the query does not parse or cannot be evaluated (HTTP 400/422): the config is wrong.
  if (body.errorType === 'bad_data' || res.status === 400 || res.status === 422) throw new QueryRejected(body.error ?? `HTTP ${res.status}`);
  throw new SourceUnreachable(`${base}: HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? ''}`.trim());
}

type SampleValue = [number, string];

/** A range query over [start, end] (epoch ms), label sets summed per timestamp. */
export async function queryRange(base: string, query: string, window: { start: number; end: number; stepMs: number }, timeoutMs: number): Promise<{ points: Point[]; series: number }> {
  const data = await call(base, 'query_range', { query, start: String(window.start / 1000), end: String(window.end / 1000), step: `${window.stepMs / 1000}s` }, timeoutMs);
  const result = (data?.result ?? []) as { values?: SampleValue[]; value?: SampleValue }[];
  if (data?.resultType === 'scalar') return { points: [toPoint(data.result as SampleValue)], series: 1 };
  const series = result.map((r) => (r.values ?? (r.value ? [r.value] : [])).map(toPoint).filter((p) => Number.isFinite(p[1])));
  return { points: sumByTime(series), series: result.length };
}

/** An instant query at `time` (epoch ms): the sum over the returned label sets, or null when it returned nothing. */
export async function queryInstant(base: string, query: string, time: number, timeoutMs: number): Promise<number | null> {
  const data = await call(base, 'query', { query, time: String(time / 1000) }, timeoutMs);
  if (data?.resultType === 'scalar') return toPoint(data.result as SampleValue)[1];
  const result = (data?.result ?? []) as { value?: SampleValue }[];
  const values = result.map((r) => (r.value ? toPoint(r.value)[1] : NaN)).filter((v) => Number.isFinite(v));
  return values.length ? values.reduce((a, b) => a + b, 0) : null;
}

/**
 * Dry evaluation: a range query over the last minute and an instant query now, as the run will
 * send them. Throws QueryRejected for a query the server cannot run (bad syntax, an unknown
 * function, a range vector where the range query needs an instant one).
 */
export async function dryEvaluate(base: string, query: string, timeoutMs: number): Promise<void> {
  const now = Date.now() / 1000;
  await call(base, 'query_range', { query, start: String(now - 60), end: String(now), step: '15s' }, timeoutMs);
  await call(base, 'query', { query, time: String(now) }, timeoutMs);
}

function toPoint([t, v]: SampleValue): Point {
  return [Math.round(t * 1000), Number(v)];
}
