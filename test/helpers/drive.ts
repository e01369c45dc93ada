import { request } from 'undici';

/**
 * Sends POST requests with a JSON chat body to `url` from `concurrency` loops until `until`
 * settles (bounded: at most `max` requests); returns how many were answered and their statuses.
 */
export async function drive(url: string, opts: { concurrency: number; until: Promise<unknown>; max?: number; body?: (i: number) => string }): Promise<{ sent: number; statuses: Map<number, number> }> {
  let stop = false;
  void opts.until.finally(() => (stop = true));
  let sent = 0;
  const statuses = new Map<number, number>();
  const max = opts.max ?? 50_000;
  const loop = async () => {
    while (!stop && sent < max) {
      const i = sent++;
      try {
        const r = await request(url, { method: 'POST', body: opts.body?.(i) ?? JSON.stringify({ session_id: `s${i}`, message: `hello ${i}` }), headers: { 'content-type': 'application/json' } });
        await r.body.dump();
        statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        if (stop) return;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  return { sent, statuses };
}
