import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const NOW = new Date(0);
const reset = { outcome: 'reset', completionMs: undefined, citations: 0 } as const;

/**
 * citation_presence reads the completed streams of the prompts that expect citations (an
 * interrupted one is counted as an interruption). When those prompts are a small share of the
 * traffic, a candidate that breaks a third of its RAG answers (retrieval timing out, the stream
 * reset) moves the run-wide error rate by less than the failed-requests guard's margin, and
 * citation presence over the RAG answers that survived stays 100%: the run passed. A deciding
 * citation_presence gate now brings the guard over its own streams, `failed-requests@citations`.
 */
describe('citation presence never passes over the survivors of the RAG prompts', () => {
  // 20 000 pairs, 1% of them RAG prompts; the candidate resets a third of those.
  const rag = (i: number) => i % 100 === 0;
  const all = pairs(
    20_000,
    (i) => ({ expectsCitations: rag(i), citations: rag(i) ? 2 : 0 }),
    (i) => (rag(i) && (i / 100) % 3 === 0 ? { ...reset, expectsCitations: true } : { expectsCitations: rag(i), citations: rag(i) ? 2 : 0 }),
  );

  it('a delta gate on citation presence fails through its guard; the run-wide guard alone let it pass', async () => {
    const policy = await policyOf([{ metric: 'citation_presence', threshold: '>= -2pp' }], { minSamples: 100 });
    const v = evaluatePolicy(policy, runOf(all), all.map(gatePair), NOW);
    const gate = (id: string) => v.gates.find((g) => g.id === id);
    // What passed before: presence over the survivors is unchanged, the run-wide guard sees +0.34 pp.
    expect(gate('citation_presence')?.status ?? v.gates[0]!.status).toBe('pass');
    expect(gate('failed-requests')?.status).toBe('pass');
    expect(gate('failed-requests@citations')?.status, v.reasons.join('\n')).toBe('fail');
    expect(v.status).toBe('fail');
  });

  it('seed-000-stage-b (its citation gate) does not pass it either', async () => {
    const v = evaluatePolicy(await loadPolicy('seed-000-stage-b'), runOf(all), all.map(gatePair), NOW);
    expect(v.status, v.reasons.join('\n')).not.toBe('pass');
    expect(v.gates.find((g) => g.id === 'failed-requests@citations')?.status).toBe('fail');
  });

  it('RAG prompts failing no more on the candidate than on the baseline add nothing: a pass', async () => {
    const same = pairs(
      20_000,
      (i) => (rag(i) && (i / 100) % 3 === 0 ? { ...reset, expectsCitations: true } : { expectsCitations: rag(i), citations: rag(i) ? 2 : 0 }),
      (i) => (rag(i) && (i / 100) % 3 === 0 ? { ...reset, expectsCitations: true } : { expectsCitations: rag(i), citations: rag(i) ? 2 : 0 }),
    );
    const policy = await policyOf([{ metric: 'citation_presence', threshold: '>= -2pp' }], { minSamples: 100 });
    const v = evaluatePolicy(policy, runOf(same), same.map(gatePair), NOW);
    expect(v.status, v.reasons.join('\n')).toBe('pass');
  });
});
