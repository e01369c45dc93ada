import type { RunResult } from '../run/result.ts';
import { esc } from './format.ts';

/** Bad entries shown in a report; the rest are counted (run.json lists the first 100). */
const SHOWN = 20;

type Replay = NonNullable<RunResult['replay']>;

function lines(r: Replay, load: RunResult['load']): { counts: string; pacing: string | undefined; rewrite: string | undefined; bad: string[]; more: number } {
  const speed = r.speed === 'max' ? 'max' : `${r.speed}x`;
  // Scheduled is not sent: a start past --max-in-flight is dropped, one in flight at an interrupt abandoned.
  const unsent = [load.dropped ? `${load.dropped} dropped at --max-in-flight` : '', load.abandoned ? `${load.abandoned} abandoned in flight` : ''].filter(Boolean).join(', ');
  const counts = `${r.read} entries read (${r.format}, speed ${speed}, ${r.loop} pass${r.loop > 1 ? 'es' : ''}), ${r.scheduled} requests scheduled${unsent ? ` (${unsent}: never measured)` : ''}; left out: ${r.skipped.writes} writes, ${r.skipped.filtered} by --include/--exclude, ${r.skipped.window} outside --from/--to; ${r.bad} corrupt or truncated${r.unsendable ? ` (${r.unsendable} of them cannot be sent as written)` : ''}`;
  const p = r.pacing;
  const pacing = p ? `${p.sent - p.late} of ${p.sent} requests sent within ${p.toleranceMs} ms of their recorded offsets; ${p.late} later (worst ${p.worstMs} ms)` : undefined;
  const rewrite = r.rewriteMissed ? `${r.rewriteMissed} requests sent without the config's shadow body rewrite (a body that is not JSON, or without the field): their ids went to both targets as captured` : undefined;
  const bad = r.badEntries.slice(0, SHOWN).map((b) => `${b.at}: ${b.reason}`);
  return { counts, pacing, rewrite, bad, more: r.bad - bad.length };
}

/** summary.md's "Replay" section: what was read and left out, every corrupt entry (up to 20, then a count), the pacing. */
export function replayMarkdown(run: RunResult, code: (s: string) => string): string[] {
  if (!run.replay) return [];
  const l = lines(run.replay, run.load);
  const out = ['## Replay', '', `${code(run.replay.file)}: ${l.counts}.`];
  if (l.pacing) out.push('', `Pacing: ${l.pacing}.`);
  if (l.rewrite) out.push('', `Shadow rewrite: ${l.rewrite}.`);
  if (l.bad.length) out.push('', '**Corrupt or truncated entries** (not replayed):', '', ...l.bad.map((b) => `- ${b}`));
  if (l.more > 0) out.push(`- … and ${l.more} more (run.json \`replay.badEntries\` lists the first 100)`);
  return [...out, ''];
}

/** report.html's "Replay" section (the same content). */
export function replayHtml(run: RunResult): string {
  if (!run.replay) return '';
  const l = lines(run.replay, run.load);
  const bad = l.bad.map((b) => `<li>${esc(b)}</li>`).join('') + (l.more > 0 ? `<li>… and ${l.more} more (run.json replay.badEntries lists the first 100)</li>` : '');
  return (
    `<h2>Replay</h2><p><code>${esc(run.replay.file)}</code>: ${esc(l.counts)}.</p>` +
    (l.pacing ? `<p>Pacing: ${esc(l.pacing)}.</p>` : '') +
    (l.rewrite ? `<p>Shadow rewrite: ${esc(l.rewrite)}.</p>` : '') +
    (bad ? `<div class="callout bad" data-replay-bad="${run.replay.bad}"><b>Corrupt or truncated entries</b> (not replayed):<ul>${bad}</ul></div>` : '')
  );
}
