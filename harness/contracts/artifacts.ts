import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeBody, type Observed } from './normalize.ts';
import { showPointer } from './pointer.ts';
import { curlCommand, redactJson, scrub } from './redact.ts';
import type { StepVerdict } from './tally.ts';

/**
 * One Markdown file per step that drifted or failed an assertion, for review in a PR:
 * `<run dir>/contracts/<flow>-<step>.md` with the differences by pointer, the noise that was
 * excluded, curl commands reproducing the request on each side, and one pair's responses.
 * Credentials are redacted everywhere. Fills each summary's `artifact` and `curl`.
 */
export interface ArtifactLabels {
  baseline: string;
  candidate: string;
}

export async function writeArtifacts(verdicts: readonly StepVerdict[], runDir: string, secrets: readonly string[], labels: ArtifactLabels): Promise<void> {
  for (const v of verdicts) {
    const s = v.summary;
    if (s.drifted === 0 && s.assertionFailures.baseline === 0 && s.assertionFailures.candidate === 0 && !s.skipped) continue;
    const pair = v.example ?? (v.tally.kept.get(0) ? { ...v.tally.kept.get(0)!, index: 0 } : undefined);
    const candReq = pair?.requests.candidate;
    if (candReq) s.curl = curlCommand(candReq, secrets);
    const rel = path.join('contracts', `${safe(s.scenario)}-${safe(s.step)}.md`);
    await mkdir(path.join(runDir, 'contracts'), { recursive: true });
    await writeFile(path.join(runDir, rel), scrub(render(v, pair, labels, secrets), secrets));
    s.artifact = rel;
  }
}

function render(v: StepVerdict, pair: StepVerdict['example'], labels: ArtifactLabels, secrets: readonly string[]): string {
  const s = v.summary;
  const lines = [
    `# Contract: ${s.scenario} / ${s.step}`,
    '',
    `${s.pairs} pair${s.pairs === 1 ? '' : 's'} compared (${labels.baseline} vs ${labels.candidate}): ${s.identical} identical, ${s.drifted} drifted.`,
    `Assertion failures: ${labels.baseline} ${s.assertionFailures.baseline}, ${labels.candidate} ${s.assertionFailures.candidate}.`,
    '',
  ];
  if (s.drift.length) {
    const c = s.classes;
    if (c) lines.push(`Pairs with drift by class: breaking ${c.breaking}, additive ${c.additive}, value ${c.value}.`, '');
    lines.push('## Differences', '', `| pointer | class | kind | pairs | ${labels.baseline} | ${labels.candidate} |`, '| --- | --- | --- | --- | --- | --- |');
    for (const d of s.drift) {
      const at = d.examples && d.examples.length > 1 ? ` (${d.occurrences} at ${d.examples.map((e) => `\`${showPointer(e.pointer)}\``).join(', ')}${(d.occurrences ?? 0) > d.examples.length ? ', …' : ''})` : '';
      lines.push(`| \`${showPointer(d.pointer)}\`${at} | ${d.class ?? 'value'} | ${d.kind} | ${d.count} | ${cell(d.example.baseline)} | ${cell(d.example.candidate)} |`);
    }
    lines.push('');
  }
  if (s.noise.length) {
    lines.push('## Noise (excluded)', '', 'Pointers that differed between two baseline responses:', '');
    lines.push('Excluded for value differences only: a missing, extra or retyped field or header there is still drift.', '');
    for (const n of s.noise) lines.push(`- \`${showPointer(n.pointer)}\` in ${n.count} pair${n.count === 1 ? '' : 's'}`);
    lines.push('');
  }
  if (s.failures?.length) {
    lines.push('## Assertion failures', '');
    for (const f of s.failures) lines.push(`- ${f.role === 'baseline' ? labels.baseline : labels.candidate} (${f.count}×): ${f.message}`);
    lines.push('');
  }
  if (pair) {
    lines.push('## Reproduce', '');
    for (const side of ['baseline', 'candidate'] as const) {
      const req = pair.requests[side];
      if (req) lines.push(`${labels[side]}:`, '', '```sh', curlCommand(req, secrets), '```', '');
    }
    lines.push(`## Responses (pair ${pair.index + 1})`, '');
    for (const side of ['baseline', 'candidate'] as const) {
      const o = pair.responses[side];
      if (o) lines.push(`${labels[side]}: ${describeStatus(o)}`, '', '```json', truncate(JSON.stringify(redactJson(describeBody(o)), null, 2) ?? ''), '```', '');
    }
  }
  return lines.join('\n');
}

function describeStatus(o: Observed): string {
  if (o.status === null) return `no response (${o.error?.code ?? 'error'})`;
  return `HTTP ${o.status}${o.headers['content-type'] ? `, ${o.headers['content-type']}` : ''}`;
}

function cell(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v) ?? String(v);
  return '`' + (s.length > 80 ? `${s.slice(0, 80)}…` : s).replace(/\|/g, '\\|').replace(/`/g, "'") + '`';
}

function truncate(s: string, n = 4000): string {
  return s.length > n ? `${s.slice(0, n)}\n… (${s.length - n} more characters)` : s;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
