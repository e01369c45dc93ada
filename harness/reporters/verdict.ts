import { mapStrings } from '../json/map-strings.ts';
import { terminalSafe } from '../text/escape.ts';
import type { Verdict } from '../run/result.ts';

export interface VerdictRenderOptions {
  color: boolean;
}

const MARK = { pass: 'pass', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', unjudged: 'not judged' } as const;

/** The verdict on the terminal: the decision first, then one line per gate. Pure: text in, text out. */
export function renderVerdict(raw: Verdict, opts: VerdictRenderOptions): string {
  const v = mapStrings(raw, terminalSafe);
  const paint = (code: number, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tone = { pass: 32, fail: 31, inconclusive: 33, unjudged: 2 } as const;
  const lines = [paint(1, `verdict: ${paint(tone[v.status], v.status.toUpperCase())} (policy ${v.policy})`)];
  for (const g of v.gates) {
    const text = g.reason.startsWith(`${g.id}: `) ? g.reason.slice(g.id.length + 2) : g.reason;
    const n = g.comparison === 'absolute' ? `n=${g.samples.candidate}` : `n=${g.samples.baseline}/${g.samples.candidate}`;
    lines.push(`  ${paint(tone[g.status], MARK[g.status].padEnd(12))} ${g.id}${g.severity === 'warn' ? ' (warn)' : ''}: ${text}  [${n}, min ${g.samples.min}]`);
  }
  // Every reason not about one gate (an incomplete run, harness health, dropped starts, a stream
  // profile that read nothing, a warn-only policy): `parity gate` prints nothing else, so a verdict
  // held back over passing gates must say why here.
  const ofGates = new Set(v.gates.flatMap((g) => ['FAIL', 'INCONCLUSIVE', 'WARN'].map((k) => `${k} ${g.reason}`)));
  const runLevel = v.reasons.filter((r) => !ofGates.has(r) && !/^all \d+ gates? pass$/.test(r));
  for (const r of runLevel) lines.push(`  ${r}`);
  return lines.join('\n');
}
