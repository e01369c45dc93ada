import { streamScenarios, type LoadedConfig } from '../config/load.ts';
import { Timeouts } from '../config/schema.ts';
import { planIteration, streamPath } from '../load/plan.ts';
import { probeStream } from '../probes/stream-probe.ts';
import { openTarget, streamHeaders } from '../targets/target.ts';

export interface ProfileCheck {
  target: string;
  role: 'baseline' | 'candidate';
  outcome: string;
  status: number | null;
  events: number;
  contentChunks: number;
  contentChars: number;
  citations: number;
  expectsCitations: boolean;
  /** The content text the profile read (first 120 characters). */
  text: string;
  /** What the profile failed to read, by field; empty when it read the stream. */
  problems: string[];
}

/**
 * Tries each target's stream profile against one live stream (the first scenario's first prompt,
 * one request per target, no load): what `parity run --check-profile` prints. A profile that does
 * not reach the terminal event, reads no content, or no citations where the prompt expects them,
 * is reported by field, before a whole run judges streams that were never understood.
 */
export async function checkProfiles(loaded: LoadedConfig, signal?: AbortSignal): Promise<ProfileCheck[]> {
  const streams = streamScenarios(loaded);
  const scenario = streams[0];
  if (!scenario) return [];
  const cfg = loaded.config;
  const timeouts = cfg.load?.timeouts ?? Timeouts.parse({});
  const plan = planIteration(streams, 0, `check-profile-${Date.now()}`);
  const out: ProfileCheck[] = [];
  for (const t of [loaded.baseline, loaded.candidate]) {
    const live = openTarget(t, timeouts);
    try {
      const { method, path } = live.pathFor(scenario.route);
      const headers = { ...streamHeaders(t, plan.headers ?? scenario.headers, cfg.requestIdHeader, ''), [cfg.requestIdHeader]: plan.requestId };
      const s = await probeStream(
        live.pool,
        live.classify,
        { target: t.name, role: t.role, scenario: scenario.name, requestId: plan.requestId, iteration: 0, vu: 0, promptIndex: plan.promptIndex, expectsCitations: plan.prompt.expectsCitations, method, path: streamPath(path, plan), headers, body: plan.body, collectText: true },
        timeouts,
        signal,
      );
      const problems: string[] = [];
      if (s.outcome === 'empty') problems.push(`content: ${s.events} events, none with content text; check the profile's content matcher and path`);
      else if (s.outcome !== 'complete') problems.push(`terminal: the stream did not complete (${s.outcome}${s.error ? `: ${s.error.message}` : ''}); check the profile's terminal and error matchers, or the backend`);
      if ((s.outcome === 'complete' || s.outcome === 'empty') && plan.prompt.expectsCitations && s.citations === 0) problems.push(`citations: the prompt expects citations and none were read; check the profile's citations matcher and path`);
      out.push({
        target: t.name,
        role: t.role,
        outcome: s.outcome,
        status: s.status ?? null,
        events: s.events,
        contentChunks: s.contentChunks,
        contentChars: s.contentChars,
        citations: s.citations,
        expectsCitations: plan.prompt.expectsCitations,
        text: (s.text ?? '').slice(0, 120),
        problems,
      });
    } finally {
      await live.close().catch(() => undefined);
    }
  }
  return out;
}
