import type { RunResult } from './result.ts';

/**
 * A stream profile that reads nothing: the `openai` preset on a typed-JSON stream that ends in
 * `[DONE]` marks every stream complete with no content, and a profile without its citations
 * override finds 0 citations. Latency gates would then judge streams that were never understood.
 * So, per target and scenario, from the summaries: completed streams but no content at all, or
 * completed streams whose prompts expect citations but no citation at all, is a run warning
 * (run.json `warnings`), shown on the terminal and in the reports; a run with warnings never
 * passes a policy (gates/evaluate.ts).
 */
export function profileWarnings(summaries: RunResult['summaries']): string[] {
  const out: string[] = [];
  for (const s of summaries) {
    for (const t of [s.baseline, s.candidate]) {
      // Streams that ended normally: complete, or `empty` (no content event), which is what all of them are when the profile reads no content.
      const ended = (t.outcomes.complete ?? 0) + (t.outcomes.empty ?? 0);
      const who = `target "${t.target}" (${t.role}), scenario "${s.scenario}"`;
      if (ended > 0 && t.contentChars === 0) {
        out.push(`${who}: the stream profile read no content from any of its ${ended} streams that ended normally (field: content); check targets[].stream against one stream (parity run --check-profile)`);
      }
      if (t.citations.expected > 0 && t.citations.present === 0) {
        out.push(`${who}: the stream profile read no citations from any of its ${t.citations.expected} completed streams whose prompt expects them (field: citations); check the profile's citations matcher (parity run --check-profile)`);
      }
    }
  }
  return out;
}
