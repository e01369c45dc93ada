/**
 * Which request of a pair is handed to its connection first. Both are sent in the same tick, but
 * one after the other: the first one's bytes are written before the second is dispatched. Always
 * the baseline first, the candidate would carry that lag in every pair, and on backends that share
 * anything (a host, a database, a rate limiter, one server in tests) it would always queue behind
 * the baseline's request: a bias in one direction that the gates read as the candidate's. So the
 * order alternates with the iteration, as the stream path's does: even iterations send the
 * baseline first, odd ones the candidate. A noise replica (a third side) goes last (a flow under
 * load sends its replica's request only once the pair has answered, beside its counterweight on
 * the candidate, the two in turn as a pair's: flow-runner.ts).
 */
export function sendOrder(iteration: number, sides: number): readonly number[] {
  const odd = iteration % 2 === 1;
  if (sides === 2) return odd ? CANDIDATE_FIRST : BASELINE_FIRST;
  return odd ? CANDIDATE_FIRST_REPLICA : BASELINE_FIRST_REPLICA;
}

const BASELINE_FIRST = [0, 1] as const;
const CANDIDATE_FIRST = [1, 0] as const;
const BASELINE_FIRST_REPLICA = [0, 1, 2] as const;
const CANDIDATE_FIRST_REPLICA = [1, 0, 2] as const;

/** Runs `run(i)` for every side in sendOrder; the promises come back by side (index i is side i's). */
export function runInTurn<T>(iteration: number, sides: number, run: (side: number) => Promise<T>): Promise<T>[] {
  const out = new Array<Promise<T>>(sides);
  for (const i of sendOrder(iteration, sides)) out[i] = run(i);
  return out;
}
