import { z } from 'zod';
import { durationField } from './duration.ts';
import { parseJsonPath } from '../json/path.ts';
import { checkServerMetrics, SharedServerMetrics, TargetServerMetrics } from './server-metrics.ts';
import { Shadow } from './shadow-schema.ts';
import { wrongModelKey } from './load-keys.ts';

/**
 * The run config, as zod schemas. Every object is strict: an unknown key is an error that names
 * it (a typo in a timeout must never silently fall back to a default). Cross-field checks that
 * need the file system or the environment (prompt files, `${ENV}`) live in `load.ts`.
 */

const EXPECTED_DURATION = 'expected a duration like "500ms", "2s", "1m" (one unit: "90s", not "1m30s") or a number of milliseconds';
export const Duration = durationField(EXPECTED_DURATION);

/**
 * A duration whose scale is seconds or more (a run's length, warm-up, ramp, a hook's time limit).
 * A bare number counts milliseconds, as everywhere in a config; below a second it is refused,
 * naming both readings: `duration: 60` ran for 60 ms, `warmup: 30` measured the cold start,
 * `timeUnit: 1` made `rate: 10` ten thousand starts a second, and a hook's `timeout: 60` stopped a
 * rollback after 60 ms. "60ms" says it on purpose; 0 stays 0.
 */
export const SecondsScaleDuration = durationField(EXPECTED_DURATION, (n) =>
  n < 0 ? 'a duration cannot be negative' : n > 0 && n < 1000 ? `a bare number counts milliseconds: ${n} is ${n} ms; write "${n}s" for seconds, or "${n}ms" if that is meant` : undefined,
);

export const JsonPathString = z.string().superRefine((value, ctx) => {
  try {
    parseJsonPath(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** Recognises an SSE event: every given condition must hold. */
export const EventMatcher = z
  .strictObject({
    /** SSE event name (`event:` field; unnamed events are "message"). */
    event: z.string().min(1).optional(),
    /** The whole `data` equals this sentinel, e.g. "[DONE]". */
    data: z.string().optional(),
    /** A JSON path into `data`; with `equals` its value must equal (one of) these, without it the field must exist. */
    field: JsonPathString.optional(),
    equals: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]).optional(),
  })
  .refine((m) => m.event !== undefined || m.data !== undefined || m.field !== undefined, {
    message: 'a matcher needs at least one of "event", "data" or "field"',
  })
  .refine((m) => m.equals === undefined || m.field !== undefined, { message: '"equals" needs "field"', path: ['equals'] });
export type EventMatcherSpec = z.input<typeof EventMatcher>;

const Extract = z.strictObject({ match: EventMatcher.optional(), path: JsonPathString });

/**
 * Where a stream's output token count is: a JSON path to a number or to a usage object
 * (`completion_tokens` or `output_tokens` read from it). `sum: true` adds every event's count
 * (per-event counts); otherwise the latest count seen is the stream's total (a usage chunk, a
 * terminal event's count, cumulative counts).
 */
const TokensSpec = z.strictObject({ match: EventMatcher.optional(), path: JsonPathString, sum: z.boolean().default(false) });

/** Where the finish reason is, and the values that count as a normal end (others make the stream `truncated`). */
const FinishReasonSpec = z.strictObject({
  match: EventMatcher.optional(),
  path: JsonPathString,
  normal: z.array(z.string().min(1)).min(1, 'give at least one normal finish reason, e.g. ["stop"]'),
});

export const StreamProfile = z.strictObject({
  /** `data` is JSON (apart from a terminal sentinel); data that does not parse makes the stream `malformed`. */
  json: z.boolean().default(true),
  content: Extract,
  citations: Extract.optional(),
  terminal: EventMatcher,
  error: EventMatcher.optional(),
  tokens: TokensSpec.optional(),
  finishReason: FinishReasonSpec.optional(),
});
export type StreamProfileSpec = z.input<typeof StreamProfile>;
export type StreamProfileConfig = z.output<typeof StreamProfile>;

export const PRESET_NAMES = ['openai', 'named-events', 'typed-json'] as const;
const PresetName = z.enum(PRESET_NAMES);

/** `'openai'`, a full profile, or `{ preset: 'openai', ...parts to override }`. Resolved in load.ts. */
export const StreamSetting = z.union([
  PresetName,
  z.strictObject({
    preset: PresetName.optional(),
    json: z.boolean().optional(),
    content: Extract.optional(),
    citations: Extract.optional(),
    terminal: EventMatcher.optional(),
    error: EventMatcher.optional(),
    tokens: TokensSpec.optional(),
    finishReason: FinishReasonSpec.optional(),
  }),
]);

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const Method = z.enum(METHODS);

/**
 * A route's path as written after its method: no whitespace, except inside a `{{ placeholder }}`
 * (templates read `{{ id }}` as `{{id}}`; a path holding one was refused as "expected METHOD /path").
 */
const ROUTE_PATH = String.raw`(?:\{\{\s*[^{}\s]*\s*\}\}|\S)*`;
const ROUTE_STRING = new RegExp(`^(${METHODS.join('|')}) ((?:/|\\$\\{)${ROUTE_PATH})$`);
/** A route written as "METHOD /path" rather than a logical route name. */
export const LITERAL_ROUTE = new RegExp(`^(${METHODS.join('|')}) (/${ROUTE_PATH})$`);

/** `"POST /chat/stream"` or `{ method: 'POST', path: '/chat/stream' }`. */
export const Route = z.union([
  z
    .string()
    .regex(ROUTE_STRING, 'expected "METHOD /path", e.g. "POST /chat/stream" (the path may use ${VAR})')
    .transform((s) => {
      const m = ROUTE_STRING.exec(s)!;
      return { method: m[1] as z.infer<typeof Method>, path: m[2]! };
    }),
  z.strictObject({ method: Method, path: z.string().regex(/^(\/|\$\{)/, 'a path starts with "/" (or ${VAR})') }),
]);
export type RouteConfig = z.output<typeof Route>;


export const HealthCheck = z.union([
  z.string().regex(/^(\/|\$\{)/, 'a health path starts with "/" (or ${VAR})').transform((path) => ({ path, status: 200 })),
  z.strictObject({ path: z.string().regex(/^(\/|\$\{)/, 'a health path starts with "/" (or ${VAR})'), status: z.number().int().min(100).max(599).default(200) }),
]);

export const Target = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a target name uses letters, digits, ".", "_" or "-"'),
  role: z.enum(['baseline', 'candidate']),
  /** Base URL; `${ENV_VAR}` is substituted at load time. */
  baseUrl: z.string().min(1),
  /** Headers sent on every request; values may use `${ENV_VAR}` and are redacted in every output. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Logical route name → method and path on this target (paths may use ${VAR}). Optional when every route is written as a literal "METHOD /path". */
  routes: z.record(z.string(), Route).default({}),
  stream: StreamSetting.default('openai'),
  /** Health routes checked before any load (see `preflight`). */
  health: z.array(HealthCheck).default([]),
  /** Max connections in this target's keep-alive pool; unset means one per in-flight request. */
  connections: z.number().int().min(1).optional(),
  /** Server-side metrics of this target: labels for PromQL templates, endpoints, own series (see config/server-metrics.ts). */
  metrics: TargetServerMetrics.optional(),
});
export type TargetConfig = z.output<typeof Target>;

/** A scenario's share of the iterations when scenarios are mixed (default 1 each when any scenario has a weight). */
const Weight = z.number().positive('weight must be above 0: it is this scenario\'s share of the iterations, e.g. 60');

export const Scenario = z.strictObject({
  /** A stream scenario (the default when `type` is left out). */
  type: z.literal('stream').default('stream'),
  weight: Weight.optional(),
  name: z.string().min(1),
  /** A logical route every target maps in `routes`. */
  route: z.string().min(1),
  /** JSON body template; strings may use {{prompt}}, {{session_id}}, {{iteration}}, {{request_id}}. */
  body: z.unknown().default({ message: '{{prompt}}', session_id: '{{session_id}}' }),
  headers: z.record(z.string(), z.string()).default({}),
  /** Prompt set: a JSONL file (one {"text": "...", "expectsCitations": true} per line), relative to the config file. Optional when the body does not use {{prompt}}. */
  prompts: z.string().min(1).optional(),
  sessionId: z.string().default('parity-{{iteration}}'),
});
export type ScenarioConfig = z.output<typeof Scenario>;

/**
 * A request's time limit: a bare number counts milliseconds, and below a second it is refused
 * naming both readings, as for SecondsScaleDuration: `total: 120` meant two minutes and timed out
 * every stream at 120 ms, the whole run failing on a setting. "500ms" says it on purpose.
 */
const TimeLimit = SecondsScaleDuration;

export const Timeouts = z.strictObject({
  connect: TimeLimit.default(5_000),
  headers: TimeLimit.default(10_000),
  firstEvent: TimeLimit.default(15_000),
  /** Longest allowed silence between two events before the stream counts as `stalled`. */
  idle: TimeLimit.default(10_000),
  /** Whole-stream limit; past it the stream counts as `timeout`. */
  total: TimeLimit.default(120_000),
});
export type TimeoutsConfig = z.output<typeof Timeouts>;

/** One step of a ramp: move linearly to `target` (VUs, or iterations per timeUnit) over `duration`. */
export const Stage = z.strictObject({ duration: SecondsScaleDuration, target: z.number().nonnegative('a stage target cannot be negative') });
export type StageConfig = z.output<typeof Stage>;

const Stages = z
  .array(Stage)
  .min(1, 'give at least one stage: [{ duration: "30s", target: 10 }]')
  .refine((st) => st.reduce((a, s) => a + s.duration, 0) > 0, { message: 'the stages add up to zero duration; give at least one stage a duration above 0' });

/** The first part of the schedule whose samples are kept apart (warmup.ndjson) and left out of summaries and gates. */
const Warmup = SecondsScaleDuration.default(0);
const TimeUnit = SecondsScaleDuration.default(1000).refine((v) => v > 0, { message: 'timeUnit must be above 0, e.g. "1s" or "1m"' });
/**
 * Limits on the harness's own health (see load/health.ts): above either, run.json `harness.warnings`
 * says so and no gate passes. Lower them when gates judge differences finer than the defaults: a
 * harness whose event loop runs 20 ms late cannot time a 2 ms budget.
 */
/** The harness-health limits when a config sets none (ms): above these the figures describe the harness machine as much as the backends. */
export const HEALTH_LIMITS = { eventLoopDelayP99Ms: 50, dispatchLagP99Ms: 20 } as const;
/** A health limit may only tighten its default: a looser one would let a harness too busy to time anything judge a pass. */
const HealthLimit = (max: number, what: string) =>
  Duration.optional().refine((v) => v === undefined || v <= max, { message: `${what} may only tighten the default ${max} ms (a looser limit lets an overloaded harness pass); give at most "${max}ms", or spread the load (--workers, more machines)` });
const Health = z.strictObject({
  /** Event-loop delay p99 of the busiest load thread (default 50 ms, never looser). */
  eventLoopDelayP99: HealthLimit(HEALTH_LIMITS.eventLoopDelayP99Ms, 'load.health.eventLoopDelayP99'),
  /** Arrival-rate starts fired late, p99 (default 20 ms, never looser). */
  dispatchLagP99: HealthLimit(HEALTH_LIMITS.dispatchLagP99Ms, 'load.health.dispatchLagP99'),
});

/** Paired iterations allowed in flight at once; a scheduled start past the bound is counted as dropped. */
const MaxInFlight = z.number().int().min(1, 'maxInFlight must be at least 1 (paired iterations in flight at once)').default(1000);

export const ClosedLoad = z
  .strictObject({
    model: z.literal('closed').default('closed'),
    /** Virtual users, each looping: send one paired iteration, wait for both streams, repeat. With `stages`: the VUs to start with. */
    vus: z.number().int().min(1).optional(),
    /** Total iterations shared by all VUs. Give this, `duration` or `stages`. */
    iterations: z.number().int().min(1).optional(),
    duration: SecondsScaleDuration.optional(),
    /** Ramping VUs: the VU count moves linearly to each stage's target. */
    stages: Stages.optional(),
    /** Start the VUs evenly over this time instead of all at once (spreads the connection burst). */
    rampUp: SecondsScaleDuration.default(0),
    warmup: Warmup,
    health: Health.optional(),
    timeouts: Timeouts.default(Timeouts.parse({})),
  })
  .refine((l) => [l.iterations, l.duration, l.stages].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of "iterations", "duration" or "stages"',
  })
  .refine((l) => l.vus !== undefined || l.stages !== undefined, { message: 'required: "vus" (virtual users), unless "stages" ramps them', path: ['vus'] });

export const ConstantArrivalRateLoad = z.strictObject({
  model: z.literal('constant-arrival-rate'),
  /** Paired iterations started per `timeUnit`, whatever the responses do. */
  rate: z.number().positive('rate must be above 0 (iterations per timeUnit)'),
  timeUnit: TimeUnit,
  duration: SecondsScaleDuration.refine((v) => v > 0, { message: 'duration must be above 0' }),
  maxInFlight: MaxInFlight,
  warmup: Warmup,
  health: Health.optional(),
  timeouts: Timeouts.default(Timeouts.parse({})),
});

export const RampingArrivalRateLoad = z.strictObject({
  model: z.literal('ramping-arrival-rate'),
  /** Rate at time 0, per `timeUnit`; each stage ramps linearly from the previous target to its own. */
  startRate: z.number().nonnegative('startRate cannot be negative').default(0),
  timeUnit: TimeUnit,
  stages: Stages,
  maxInFlight: MaxInFlight,
  warmup: Warmup,
  health: Health.optional(),
  timeouts: Timeouts.default(Timeouts.parse({})),
});

export const LOAD_MODELS = ['closed', 'constant-arrival-rate', 'ramping-arrival-rate'] as const;

/**
 * `load`, a union on `model` ("closed" when omitted). Checked first for mixes that would otherwise
 * be reported as a confusing unknown key: VUs and a rate together, or a rate without its model.
 */
const LoadUnion = z.discriminatedUnion('model', [ClosedLoad, ConstantArrivalRateLoad, RampingArrivalRateLoad], {
  error: () => `expected model ${LOAD_MODELS.map((m) => `"${m}"`).join(', ')} (or no model, for closed)`,
});

export const Load = z.preprocess(
  (raw, ctx) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const v = raw as Record<string, unknown>;
    if (v.vus !== undefined && (v.rate !== undefined || v.startRate !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rate' in v ? 'rate' : 'startRate'],
        message: 'give either "vus" (closed model) or a rate (arrival-rate models), not both',
        input: v,
        continue: false,
      });
      return raw;
    }
    const wrong = v.model === undefined && (v.rate !== undefined || v.startRate !== undefined) ? undefined : wrongModelKey(v);
    if (wrong) {
      ctx.addIssue({ code: 'custom', path: [wrong.key], message: wrong.message, input: v, continue: false });
      return raw;
    }
    if (v.model === undefined) {
      if (v.rate !== undefined || v.startRate !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['model'],
          message: 'a rate needs an arrival-rate model: add model: "constant-arrival-rate" (or "ramping-arrival-rate" with stages)',
          input: v,
          continue: false,
        });
        return raw;
      }
      return { ...v, model: 'closed' };
    }
    return raw;
  },
  LoadUnion.superRefine((l, ctx) => {
      const stages = 'stages' in l ? l.stages : undefined;
      const planned = stages ? stages.reduce((a, s) => a + s.duration, 0) : 'duration' in l ? l.duration : undefined;
      if (l.warmup > 0 && planned !== undefined && l.warmup >= planned) {
        ctx.addIssue({ code: 'custom', path: ['warmup'], message: `warmup (${l.warmup} ms) must be shorter than the load it is part of (${planned} ms)` });
      }
      // VU i starts at (i-1)/vus of the ramp-up: one as long as the run would never start some of the VUs asked for.
      if (l.model === 'closed' && !l.stages && l.duration !== undefined && l.rampUp > 0 && l.rampUp >= l.duration) {
        ctx.addIssue({ code: 'custom', path: ['rampUp'], message: `rampUp (${l.rampUp} ms) must be shorter than load.duration (${l.duration} ms): the last VUs would start after the run ended, a lighter load than load.vus` });
      }
      // Closed stages set the VU count at every moment themselves: a rampUp beside them was never applied.
      if (l.model === 'closed' && l.stages && l.rampUp > 0) {
        ctx.addIssue({ code: 'custom', path: ['rampUp'], message: `rampUp does not apply to stages, which ramp the VU count themselves: remove rampUp and ramp in a first stage instead, e.g. stages: [{ duration: "${l.rampUp}ms", target: ${l.vus ?? 10} }, ...] (without vus, so the ramp starts from 0 VUs)` });
      }
    }),
  // The preprocess only fills in the default model: the input type is the union's.
) as unknown as z.ZodType<z.output<typeof LoadUnion>, z.input<typeof LoadUnion>>;
export type LoadConfig = z.output<typeof Load>;
export type ClosedLoadConfig = z.output<typeof ClosedLoad>;
export type ConstantArrivalRateConfig = z.output<typeof ConstantArrivalRateLoad>;
export type RampingArrivalRateConfig = z.output<typeof RampingArrivalRateLoad>;

// ---------------------------------------------------------------------------------------------
// Contract scenarios (see harness/contracts/): flows of JSON (and stream) steps run on both
// targets, paired step by step, their responses diffed. Cross-step checks (captures, variables,
// JSON Schemas) are done in harness/contracts/compile.ts, before any request.

const VarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name uses letters, digits and "_", not starting with a digit');
/** A JSON pointer into a response body; "*" stands for any one segment: `/items/*\/id`. */
const Pointer = z.string().regex(/^(\/[^/]*)*$/, 'expected a JSON pointer like "/items/*/id" ("" is the whole body)');
export const CONTRACT_FORMATS = ['type', 'uuid', 'iso-datetime', 'date', 'email', 'uri', 'non-empty'] as const;

const isRegex = (s: string) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};
/** `origin`: each target's own base URL → "{origin}"; `http-date`: an HTTP date → "{http-date}"; or a regex replacement. */
export const Normalizer = z.union([
  z.enum(['origin', 'http-date']),
  z.strictObject({ pattern: z.string().refine(isRegex, 'not a valid regular expression'), replace: z.string().default('') }),
]);
export const DRIFT_CLASSES = ['breaking', 'additive', 'value'] as const;
const DriftClassSetting = z.union([z.enum(DRIFT_CLASSES), z.partialRecord(z.enum(['missing', 'extra', 'type', 'value', 'status', 'header', 'header_missing', 'header_extra', 'array_length']), z.enum(DRIFT_CLASSES))]);
/** Rules body and header rules share (see harness/contracts/rules.ts). */
const diffRuleExtras = <K extends z.ZodString>(key: K) => ({
  /** Values rewritten on both sides before they are compared. */
  normalize: z.record(key, z.union([Normalizer, z.array(Normalizer).min(1)])).optional(),
  /** Values of different JSON types accepted as equal: `number-string` (42 ≡ "42"). */
  equivalent: z.record(key, z.enum(['number-string'])).optional(),
  /** The drift class of differences here (`breaking`, `additive`, `value`), or per kind: `{ missing: additive }`. */
  classes: z.record(key, DriftClassSetting).optional(),
});
const HeaderName = z.string().regex(/^\/?[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected a header name like "link" (or "/link")');

export const DiffRules = z.strictObject({
  /** Pointers never compared. */
  ignore: z.array(Pointer).default([]),
  /** Pointers compared by type or format only: both sides must be a uuid, an ISO date-time, ... */
  formats: z.record(Pointer, z.enum(CONTRACT_FORMATS)).default({}),
  /** Arrays compared regardless of order, elements matched by this key (a JSON path into each element). */
  unordered: z.record(Pointer, JsonPathString).default({}),
  /** Numbers equal within an absolute tolerance (0.01) or a relative one ("1%"). */
  tolerance: z.record(Pointer, z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?%$/, 'expected a number or a percentage like "1%"')])).default({}),
  ...diffRuleExtras(Pointer),
  /** The same rules for response headers, keyed by header name ("link" or "/link"). */
  headers: z.strictObject({ ignore: z.array(HeaderName).default([]), formats: z.record(HeaderName, z.enum(CONTRACT_FORMATS)).default({}), ...diffRuleExtras(HeaderName) }).optional(),
});
export type DiffRulesConfig = z.output<typeof DiffRules>;

/** Any Standard Schema (a zod schema in a .ts config); JSON/YAML configs give a JSON Schema object instead. */
export interface StandardSchemaLike {
  '~standard': { validate(value: unknown): unknown };
}
const StandardSchema = z.custom<StandardSchemaLike>(
  (v) => typeof v === 'object' && v !== null && typeof (v as Partial<StandardSchemaLike>)['~standard']?.validate === 'function',
);

const Status = z.number().int().min(100).max(599);
const OneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const ContractExpect = z.strictObject({
  status: z.union([Status, z.array(Status).min(1)]).optional(),
  /** JSON Schema (object) or a zod schema the body must satisfy. */
  schema: z.union([StandardSchema, z.record(z.string(), z.unknown())]).optional(),
  /** JSON path → expected value (templates allowed: "{{lot_code}}"). */
  values: z.record(JsonPathString, z.unknown()).default({}),
  /** Substrings of the body text (of the streamed text, for a stream step). */
  contains: OneOrMany.default([]),
  /** Regular expressions the body text (streamed text) must match. */
  matches: OneOrMany.default([]),
  /** The body must be JSON (default: true for JSON steps with a body, false for stream steps). */
  json: z.boolean().optional(),
});

export const ContractStep = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a step name uses letters, digits, ".", "_" or "-"'),
  /** A logical route every target maps (its path may use {{vars}}), or a literal "METHOD /path/{{var}}" used on both. */
  route: z.string().min(1),
  /** Read the response as an SSE stream (target's stream profile); assertions apply to the streamed text. */
  stream: z.boolean().default(false),
  headers: z.record(z.string(), z.string()).default({}),
  /** JSON body template; "{{var}}" alone keeps the captured value's type. */
  body: z.unknown().optional(),
  /** Variable → JSON path into this step's response body, or `{ header: name }`. Per target: never shared. */
  capture: z.record(VarName, z.union([JsonPathString, z.strictObject({ header: z.string().min(1) })])).default({}),
  expect: ContractExpect.default({ values: {}, contains: [], matches: [] }),
  /** Read-back: values of an earlier step's response that must reappear in this one (persistence). */
  readBack: z
    .strictObject({ step: z.string().min(1), paths: z.array(JsonPathString).optional(), ignore: z.array(Pointer).default([]) })
    .optional(),
  rules: DiffRules.optional(),
});
export type ContractStepConfig = z.output<typeof ContractStep>;

/** Noise learning: `true` sends each step a second time to the baseline; `{ baselineUrl }` to a second baseline. */
const NoiseSetting = z.union([z.boolean(), z.strictObject({ baselineUrl: z.string().min(1) })]);

export const ContractFlow = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a flow name uses letters, digits, ".", "_" or "-"'),
  /** Constants usable as {{name}}; may use {{run_id}}, {{iteration}}, {{unique}}. */
  vars: z.record(VarName, z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** How many times the flow runs (each run is one pair per step). */
  repeat: z.number().int().min(1).default(1),
  noise: NoiseSetting.optional(),
  rules: DiffRules.optional(),
  steps: z.array(ContractStep).min(1),
});
export type ContractFlowConfig = z.output<typeof ContractFlow>;

export const Contracts = z.strictObject({
  /** Contract flows run before the load; none when the section only holds the rules and headers that request scenarios' and replay's sampled diffs use. */
  flows: z.array(ContractFlow).default([]),
  /** Response headers compared (content-type by media type). */
  headers: z.array(z.string().min(1)).default(['content-type']),
  rules: DiffRules.default({ ignore: [], formats: {}, unordered: {}, tolerance: {} }),
  noise: NoiseSetting.default(false),
  /** Flow runs in flight at once. */
  concurrency: z.number().int().min(1).default(4),
  timeouts: Timeouts.default(Timeouts.parse({})),
  /** Where `parity snapshot` keeps baseline responses; relative to the config file. */
  snapshots: z.string().default('fixtures/snapshots'),
});
export type ContractsConfig = z.output<typeof Contracts>;

// ---------------------------------------------------------------------------------------------
// Request and flow scenarios under load (probes/request-probe.ts, probes/flow-runner.ts): the step
// syntax of contract flows, each iteration paired on both targets and measured like a stream.

/** Share of the pairs diffed under the contract rules: "5%", "all", "none", or a fraction 0..1. */
const Compare = z
  .union([z.enum(['all', 'none']), z.string().regex(/^\d+(\.\d+)?%$/, 'expected "all", "none", a percentage like "5%" or a fraction 0..1'), z.number().min(0).max(1)])
  .transform((v) => (v === 'all' ? 1 : v === 'none' ? 0 : typeof v === 'number' ? v : Math.min(1, Number(v.slice(0, -1)) / 100)));

const FlowVars = z.record(VarName, z.union([z.string(), z.number(), z.boolean()])).default({});

export const RequestScenario = z.strictObject({
  type: z.literal('request'),
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a request scenario name uses letters, digits, ".", "_" or "-"'),
  weight: Weight.optional(),
  /** A logical route every target maps, or a literal "METHOD /path" used on both; the path may use {{vars}}. */
  route: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  /** JSON body template (a string is sent as written, with its own content-type header). */
  body: z.unknown().optional(),
  /** Constants usable as {{name}}; may use {{run_id}}, {{iteration}}, {{unique}}. */
  vars: FlowVars,
  /** Checks on every response (a failed one makes the request `assertion_failed`). */
  expect: ContractExpect.default({ values: {}, contains: [], matches: [] }),
  rules: DiffRules.optional(),
  compare: Compare.default(0),
  /** Noise learning for compared pairs: the iteration also runs on the baseline a second time (own variables); what differs there is noise, not drift. */
  noise: z.boolean().default(false),
});
export type RequestScenarioConfig = z.output<typeof RequestScenario>;

export const FlowScenario = z.strictObject({
  type: z.literal('flow'),
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a flow scenario name uses letters, digits, ".", "_" or "-"'),
  weight: Weight.optional(),
  vars: FlowVars,
  rules: DiffRules.optional(),
  compare: Compare.default(0),
  noise: z.boolean().default(false),
  steps: z.array(ContractStep).min(1),
});
export type FlowScenarioConfig = z.output<typeof FlowScenario>;

/** Fields only a stream scenario reads: on a request or flow scenario they would be silently ignored, so they are errors. */
const STREAM_ONLY: Record<string, string> = {
  prompts: 'a request sends its "body" as written; prompt sets drive stream scenarios',
  sessionId: 'use a flow var, e.g. vars: { session: "s-{{unique}}" }',
};

export const AnyScenario = z.preprocess(
  (raw, ctx) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const v = raw as Record<string, unknown>;
    if (v.type === undefined) return { ...v, type: 'stream' };
    if (v.type === 'request' || v.type === 'flow') {
      for (const [k, fix] of Object.entries(STREAM_ONLY)) {
        if (k in v) ctx.addIssue({ code: 'custom', path: [k], message: `"${k}" is a stream-scenario field; a ${v.type} scenario cannot use it: remove it (${fix}), or set type: stream`, input: v });
      }
      if (v.type === 'request' && 'stream' in v) ctx.addIssue({ code: 'custom', path: ['stream'], message: 'a request scenario reads the whole response; for a stream use type: stream (or a flow step with stream: true in contracts)', input: v });
    }
    return raw;
  },
  z.discriminatedUnion('type', [Scenario, RequestScenario, FlowScenario], { error: () => 'expected type "stream" (default), "request" or "flow"' }),
) as unknown as z.ZodType<z.output<typeof Scenario> | RequestScenarioConfig | FlowScenarioConfig, z.input<typeof Scenario> | z.input<typeof RequestScenario> | z.input<typeof FlowScenario>>;
export type AnyScenarioConfig = z.output<typeof AnyScenario>;


export const Preflight = z.strictObject({
  retries: z.number().int().min(0).default(5),
  interval: Duration.default(2_000),
  timeout: TimeLimit.default(5_000),
});

export const Config = z
  .strictObject({
    name: z.string().default('parity run'),
    targets: z.array(Target).min(2, 'a run needs two targets: one baseline and one candidate'),
    /** Stream, request and flow scenarios (optional when the config has contract flows). */
    scenarios: z.array(AnyScenario).default([]),
    /** Required with stream scenarios. */
    load: Load.optional(),
    contracts: Contracts.optional(),
    /** Live traffic compared by `parity shadow` (see shadow-schema.ts). */
    shadow: Shadow.optional(),
    preflight: Preflight.default(Preflight.parse({})),
    /** Header carrying the pair's shared request id. */
    requestIdHeader: z.string().default('x-request-id'),
    /** Where runs write `<run-id>/`; relative to the working directory. */
    outDir: z.string().default('reports'),
    /** Server-side metrics read for the run's window (Prometheus, /metrics scrapes, JSON endpoints). */
    metrics: SharedServerMetrics.optional(),
  })
  .superRefine((cfg, ctx) => {
    for (const issue of checkServerMetrics(cfg.metrics, cfg.targets)) ctx.addIssue({ code: 'custom', ...issue });
    for (const route of Object.keys(cfg.shadow?.routes ?? {})) {
      for (const [i, t] of cfg.targets.entries()) {
        if (!Object.hasOwn(t.routes, route)) ctx.addIssue({ code: 'custom', path: ['shadow', 'routes', route], message: `route "${route}" is not in the route map of target "${t.name}"; add it to targets[${i}].routes or remove it here` });
      }
    }
    for (const role of ['baseline', 'candidate'] as const) {
      const n = cfg.targets.filter((t) => t.role === role).length;
      if (n !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets'],
          message: `expected exactly one target with role "${role}", found ${n}`,
        });
      }
    }
    const names = new Set<string>();
    cfg.targets.forEach((t, i) => {
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}"` });
      names.add(t.name);
    });
    cfg.scenarios.forEach((s, si) => {
      // Flow steps' routes are checked with the contract compiler; a request may name a literal "METHOD /path".
      if (s.type === 'flow' || (s.type === 'request' && LITERAL_ROUTE.test(s.route))) return;
      cfg.targets.forEach((t) => {
        // A literal "METHOD /path" is used as written on both targets.
        if (!Object.hasOwn(t.routes, s.route) && !LITERAL_ROUTE.test(s.route)) {
          const known = Object.keys(t.routes);
          ctx.addIssue({
            code: 'custom',
            path: ['scenarios', si, 'route'],
            message: `route "${s.route}" is not in the route map of target "${t.name}" (it maps: ${known.length ? known.join(', ') : 'nothing'}); add it to targets[${cfg.targets.indexOf(t)}].routes`,
          });
        }
      });
    });
  });

export type ConfigInput = z.input<typeof Config>;
export type ParsedConfig = z.output<typeof Config>;

/**
 * What `parity run` and `parity shadow` need the config to say they should do: scenarios (with a
 * load), contract flows or a shadow section. A replay sends its capture's requests with the
 * config's targets, timeouts and rules, and runs none of these: its config may be targets alone.
 */
export function checkWhatRuns(cfg: Pick<ParsedConfig, 'scenarios' | 'load' | 'contracts' | 'shadow'>, issues: { path: string; message: string }[]): void {
  if (!cfg.contracts?.flows.length && !cfg.shadow && cfg.scenarios.length === 0) {
    issues.push({ path: 'scenarios', message: 'give at least one scenario, contract flows ("contracts.flows") or a "shadow" section (a targets-only config for parity replay needs none: check it with parity validate <config> --replay)' });
  }
  if (cfg.scenarios.length > 0 && !cfg.load) issues.push({ path: 'load', message: 'required with scenarios: e.g. load: { vus: 10, iterations: 200 }' });
}

/** Identity function that exists for types: `export default defineConfig({ ... })` in parity.config.ts. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
