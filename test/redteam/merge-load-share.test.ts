import { describe, expect, it } from 'vitest';
import { mergeLoadContracts } from '../../harness/run/endpoints.ts';
import type { ContractStepSummary } from '../../harness/run/result.ts';

/**
 * `share` (the part of a step's pairs diffed, `compare` below "all") makes a `contract_drift` pass
 * say it covers only a sample. Merging shards (worker threads, `parity merge` of segments) kept the
 * first shard's summary as the base, so a first shard without `share` and a later one with it gave
 * a merged step without it: the counts include a sample, and the gate's reason read as "no drift".
 * The merged step carries the smallest share of any shard (a shard without one diffed all).
 */
const step = (over: Partial<ContractStepSummary>): ContractStepSummary => ({
  scenario: 'lots',
  step: 'get_lot',
  pairs: 10,
  identical: 10,
  drifted: 0,
  drift: [],
  classes: { breaking: 0, additive: 0, value: 0 },
  noise: [],
  assertionFailures: { baseline: 0, candidate: 0 },
  artifact: null,
  curl: null,
  underLoad: true,
  ...over,
});

describe('share of the pairs diffed, merged across shards', () => {
  it('is kept whichever shard comes first, and the smallest wins', () => {
    expect(mergeLoadContracts([[step({})], [step({ share: 0.05 })]])[0]!.share).toBe(0.05);
    expect(mergeLoadContracts([[step({ share: 0.05 })], [step({})]])[0]!.share).toBe(0.05);
    expect(mergeLoadContracts([[step({ share: 0.5 })], [step({ share: 0.05 })]])[0]!.share).toBe(0.05);
    expect(mergeLoadContracts([[step({ share: 0.05 })], [step({ share: 0.5 })]])[0]!.share).toBe(0.05);
  });

  it('every shard diffing all leaves no share', () => {
    expect(mergeLoadContracts([[step({})], [step({})]])[0]!.share).toBeUndefined();
  });
});
