import { PassThrough } from 'node:stream';
import { main } from '../../harness/cli.ts';

/** Runs the CLI in-process with captured output; resolves to the exit code and what was printed. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(args, { stdout: out, stderr: err, env });
  return { code, stdout, stderr };
}
