/**
 * Keys of `load` that belong to another load model than the one given, with what to write
 * instead. A strict object would only say "unknown key: remove it or fix the spelling", which
 * reads as a typo; these are a model mix-up (VUs in an arrival-rate model, a rampUp or maxInFlight
 * where they do nothing), so the message says which model the key belongs to.
 */
const CLOSED_ONLY: Record<string, string> = {
  vus: 'an arrival-rate model starts iterations at its rate whatever the responses do, so it has no VUs: remove vus (maxInFlight bounds the iterations in flight)',
  iterations: 'an arrival-rate model starts as many iterations as its rate over its duration (or stages) gives: remove iterations',
  rampUp: 'an arrival rate ramps with model: "ramping-arrival-rate" and its stages (startRate, then each stage\'s target): remove rampUp',
};
const ARRIVAL_ONLY: Record<string, string> = {
  maxInFlight: 'in the closed model the vus bound the iterations in flight: remove maxInFlight, or give model: "constant-arrival-rate" and a rate',
  timeUnit: 'the closed model has vus, not a rate: remove timeUnit, or give model: "constant-arrival-rate" and a rate',
  rate: 'the closed model has vus, not a rate: give model: "constant-arrival-rate" for a rate (and no vus)',
  startRate: 'the closed model has vus, not a rate: give model: "ramping-arrival-rate" for a ramping rate (and no vus)',
};
const BY_MODEL: Record<string, Record<string, string>> = {
  'constant-arrival-rate': { stages: 'stages ramp the rate with model: "ramping-arrival-rate" (startRate, then each stage\'s target): use that model, or a constant rate and a duration' },
  'ramping-arrival-rate': {
    duration: 'a ramping arrival rate runs for the sum of its stages\' durations: remove duration',
    rate: 'a ramping arrival rate takes startRate and each stage\'s target (iterations per timeUnit): remove rate, or give model: "constant-arrival-rate"',
  },
};

/** The first key of `load` that its model does not take, with why and the fix; undefined when none. */
export function wrongModelKey(load: Record<string, unknown>): { key: string; message: string } | undefined {
  const model = typeof load.model === 'string' ? load.model : 'closed';
  const known = model === 'closed' ? ARRIVAL_ONLY : Object.hasOwn(BY_MODEL, model) ? { ...CLOSED_ONLY, ...BY_MODEL[model] } : {};
  for (const [key, why] of Object.entries(known)) {
    if (load[key] !== undefined) return { key, message: `"${key}" does not apply to model "${model}": ${why}` };
  }
  return undefined;
}
