import { describe, expect, it } from 'vitest';
import { mergeLoadContracts } from '../../harness/run/endpoints.ts';
import { loadStep } from '../helpers/contracts.ts';

/**
 * mergeLoadContracts cloned the first shard's summary but pushed a later shard's noise entries
 * into the merged step by reference: a third shard's count was then added into the second shard's
 * own object. The shard's state was changed under it (its segment-state as read, a worker's
 * summary), and merging the same states again counted that noise twice (2 + 3 became 2 + 5 + 3).
 */
describe('noise of contract summaries under load merged across shards', () => {
  it('leaves every shard\'s summary as it was, so merging again gives the same counts', () => {
    const shards = [[loadStep({})], [loadStep({ noise: [{ pointer: '/updated_at', count: 2 }] })], [loadStep({ noise: [{ pointer: '/updated_at', count: 3 }] })]];
    const before = structuredClone(shards);
    const [m] = mergeLoadContracts(shards);
    expect(m!.noise).toEqual([{ pointer: '/updated_at', count: 5 }]);
    expect(shards).toEqual(before);
    const [again] = mergeLoadContracts(shards);
    expect(again!.noise).toEqual([{ pointer: '/updated_at', count: 5 }]);
  });
});
