import type { EventSourceMessage } from 'eventsource-parser';
import type { EventMatcherSpec, StreamProfileConfig } from '../config/schema.ts';
import { compileJsonPath, type JsonPath } from '../json/path.ts';

/** What one SSE event is, according to a target's stream profile. */
export interface ClassifiedEvent {
  kind: 'terminal' | 'error' | 'content' | 'citations' | 'other' | 'malformed';
  /** Non-empty content text carried by the event. */
  text?: string;
  /** Citations carried by the event (an event may carry content and citations). */
  citations?: number;
  /** An output token count the event carries (profile `tokens`): added to the stream's (`tokensSum`) or its total. */
  tokens?: number;
  tokensSum?: boolean;
  /** The finish reason the event carries (profile `finishReason`), and whether it is outside the normal set. */
  finish?: string;
  abnormal?: boolean;
}

export type EventClassifier = (event: EventSourceMessage) => ClassifiedEvent;

type Matcher = (name: string, data: string, json: unknown) => boolean;

const NO_JSON = Symbol('no-json');

function compileMatcher(spec: EventMatcherSpec): Matcher {
  const field: JsonPath | undefined = spec.field !== undefined ? compileJsonPath(spec.field) : undefined;
  const equals = spec.equals === undefined ? undefined : Array.isArray(spec.equals) ? spec.equals : [spec.equals];
  return (name, data, json) => {
    if (spec.event !== undefined && spec.event !== name) return false;
    if (spec.data !== undefined && spec.data !== data) return false;
    if (field) {
      if (json === NO_JSON) return false;
      const v = field.get(json);
      if (equals ? !equals.includes(v as string) : v === undefined) return false;
    }
    return true;
  };
}

/**
 * Compiles a stream profile once per target into a classifier the probe calls per event. Order:
 * terminal, error, then citations and content (one event may carry both). A data sentinel named
 * by a matcher (`[DONE]`) is never parsed as JSON; other non-empty data that does not parse
 * under a JSON profile is `malformed`.
 */
export function compileProfile(profile: StreamProfileConfig): EventClassifier {
  const terminal = compileMatcher(profile.terminal);
  const error = profile.error ? compileMatcher(profile.error) : undefined;
  const contentMatch = profile.content.match ? compileMatcher(profile.content.match) : undefined;
  const contentPath = compileJsonPath(profile.content.path);
  const citeMatch = profile.citations?.match ? compileMatcher(profile.citations.match) : undefined;
  const citePath = profile.citations ? compileJsonPath(profile.citations.path) : undefined;
  // A short list, not a Set: Set.has would hash every event's data (a fresh string each time);
  // comparing strings checks their lengths first.
  const extras = compileExtras(profile);
  const sentinels = [...new Set([profile.terminal, profile.error, profile.content.match, profile.citations?.match].flatMap((m) => (m?.data !== undefined ? [m.data] : [])))];

  return (ev) => {
    const name = ev.event ?? 'message';
    const data = ev.data;
    let json: unknown = NO_JSON;
    if (profile.json && data !== '' && !sentinels.includes(data)) {
      try {
        json = JSON.parse(data);
      } catch {
        if (!terminal(name, data, NO_JSON) && !(error && error(name, data, NO_JSON))) return { kind: 'malformed' };
      }
    } else if (!profile.json) {
      json = data;
    }
    if (terminal(name, data, json)) return extras && json !== NO_JSON ? extras({ kind: 'terminal' }, name, data, json) : { kind: 'terminal' };
    if (error && error(name, data, json)) return { kind: 'error' };

    const result: ClassifiedEvent = { kind: 'other' };
    if (extras && json !== NO_JSON) extras(result, name, data, json);
    if (citePath && (!citeMatch || citeMatch(name, data, json))) {
      const c = json === NO_JSON ? undefined : citePath.get(json);
      if (Array.isArray(c)) {
        result.citations = c.length;
        result.kind = 'citations';
      } else if (citeMatch) {
        result.citations = 0;
        result.kind = 'citations';
      }
    }
    if (!contentMatch || contentMatch(name, data, json)) {
      const t = profile.json ? (json === NO_JSON ? undefined : contentPath.get(json)) : data;
      if (typeof t === 'string' && t.length > 0) {
        result.text = t;
        result.kind = 'content';
      } else if (contentMatch && result.kind === 'other') {
        result.kind = 'content';
      }
    }
    return result;
  };
}

type Extras = (into: ClassifiedEvent, name: string, data: string, json: unknown) => ClassifiedEvent;

/**
 * Reads the profile's `tokens` and `finishReason` from an event's JSON into the classified event,
 * if the profile has them. A finish reason is any string at the path (OpenAI sends `null` on every
 * chunk but the last); a token count is a number, or a usage object's `completion_tokens` /
 * `output_tokens`.
 */
function compileExtras(profile: StreamProfileConfig): Extras | undefined {
  const tk = profile.tokens;
  const fr = profile.finishReason;
  if (!tk && !fr) return undefined;
  const tkPath = tk ? compileJsonPath(tk.path) : undefined;
  const tkMatch = tk?.match ? compileMatcher(tk.match) : undefined;
  const frPath = fr ? compileJsonPath(fr.path) : undefined;
  const frMatch = fr?.match ? compileMatcher(fr.match) : undefined;
  const normal = fr?.normal ?? [];
  return (into, name, data, json) => {
    if (tkPath && (!tkMatch || tkMatch(name, data, json))) {
      const n = tokenCount(tkPath.get(json));
      if (n !== undefined) {
        into.tokens = n;
        if (tk!.sum) into.tokensSum = true;
      }
    }
    if (frPath && (!frMatch || frMatch(name, data, json))) {
      const f = frPath.get(json);
      if (typeof f === 'string' && f !== '') {
        into.finish = f;
        if (!normal.includes(f)) into.abnormal = true;
      }
    }
    return into;
  };
}

function tokenCount(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (v && typeof v === 'object') {
    const o = v as { completion_tokens?: unknown; output_tokens?: unknown };
    const n = typeof o.completion_tokens === 'number' ? o.completion_tokens : o.output_tokens;
    return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
  }
  return undefined;
}
