import type { ConfigIssue } from '../errors.ts';
import { jsonDepthExceeds } from '../json/depth.ts';
import { closest } from '../text/closest.ts';
import type { ScenarioConfig } from './schema.ts';

/**
 * The `{{placeholders}}` a stream scenario's templates may use, checked before any request: a
 * placeholder parity does not fill (a typo like `{{promtp}}`, `{{Prompt}}`, `{{sessionId}}`) would
 * otherwise go out as written in every request, to both targets alike, and the run would measure
 * a request nobody meant to send. Request and flow scenarios are checked by the contract compiler
 * (their vars and captures); this is the stream scenario's side.
 *
 * Anything shaped like a placeholder (`{{ name }}`, letters, digits, `_ . -`) counts: text meant to
 * go out with braces belongs in the prompt set, whose texts are sent as written.
 */
const SHAPED = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** What each template of a stream scenario may use (load/plan.ts fills them per request). */
const KNOWN = {
  body: ['prompt', 'session_id', 'iteration', 'request_id'],
  sessionId: ['prompt', 'iteration', 'request_id'],
  // Not {{prompt}}: a prompt's text (newlines, any length) is no header value.
  headers: ['session_id', 'iteration', 'request_id'],
  // A route path's are filled percent-encoded (load/plan.ts streamPath); not {{prompt}} (any length) either.
  route: ['session_id', 'iteration', 'request_id'],
} as const;

/** The placeholder names a string uses, as written (`{{ prompt }}` → "prompt"). */
export function placeholdersIn(s: string): string[] {
  return [...s.matchAll(SHAPED)].map((m) => m[1]!);
}

function strings(v: unknown, at: string, out: [string, string][] = []): [string, string][] {
  if (typeof v === 'string') out.push([v, at]);
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, `${at}.${k}`, out);
  return out;
}

/** Issues for the placeholders of stream scenario `i` that parity would not fill. */
export function checkStreamPlaceholders(s: Pick<ScenarioConfig, 'body' | 'sessionId' | 'headers'>, i: number, issues: ConfigIssue[]): void {
  const at = `scenarios[${i}]`;
  const check = (text: string, where: string, part: keyof typeof KNOWN) => {
    const known: readonly string[] = KNOWN[part];
    for (const name of placeholdersIn(text)) {
      if (known.includes(name)) continue;
      const near = closest(name.toLowerCase(), known);
      const list = known.map((k) => `{{${k}}}`).join(', ');
      const fix = near ? `did you mean {{${near}}}? ` : '';
      const literal = part === 'body' ? '; text meant to go out with its braces belongs in the prompt set (prompts are sent as written)' : '';
      issues.push({ path: where, message: `placeholder {{${name}}} is not one parity fills in a stream scenario's ${part === 'sessionId' ? 'sessionId' : part === 'route' ? 'route path' : part} (it would be sent as written in every request): ${fix}the ${part === 'route' ? 'route path' : part} may use ${list}${literal}` });
    }
  };
  // A body nested past any real one is refused by scenarioBody (config/paths-env.ts); not walked here.
  if (!jsonDepthExceeds(s.body)) for (const [text, where] of strings(s.body, `${at}.body`)) check(text, where, 'body');
  check(s.sessionId, `${at}.sessionId`, 'sessionId');
  for (const [name, value] of Object.entries(s.headers)) {
    check(value, `${at}.headers.${name}`, 'headers');
    // The session id becomes a header value: one made from the prompt's text is no header value.
    if (placeholdersIn(value).includes('session_id') && placeholdersIn(s.sessionId).includes('prompt')) {
      issues.push({ path: `${at}.headers.${name}`, message: `{{session_id}} is made from {{prompt}} here (sessionId "${s.sessionId}"), and a prompt's text is no header value: build sessionId from {{iteration}} or {{request_id}}, or leave the header out` });
    }
  }
}

/**
 * The route paths a stream scenario is sent to (`[path, where]`: each target's, or the scenario's
 * literal route once): placeholders beyond `{{session_id}}`, `{{iteration}}`, `{{request_id}}`
 * would go out as their own text; a session id made from the prompt's text is no path segment.
 */
export function checkStreamRoute(s: Pick<ScenarioConfig, 'sessionId'>, paths: readonly (readonly [string, string])[], issues: ConfigIssue[]): void {
  const known: readonly string[] = KNOWN.route;
  for (const [path, where] of paths) {
    for (const name of placeholdersIn(path)) {
      if (!known.includes(name)) {
        const near = closest(name.toLowerCase(), known);
        issues.push({ path: where, message: `placeholder {{${name}}} is not one parity fills in a stream scenario's route path (it would be sent as written in every request): ${near ? `did you mean {{${near}}}? ` : ''}the route path may use ${known.map((k) => `{{${k}}}`).join(', ')}` });
      } else if (name === 'session_id' && placeholdersIn(s.sessionId).includes('prompt')) {
        issues.push({ path: where, message: `{{session_id}} is made from {{prompt}} here (sessionId "${s.sessionId}"), and a prompt's text (any length) is no path segment: build sessionId from {{iteration}} or {{request_id}}, or leave it out of the path` });
      }
    }
  }
}
