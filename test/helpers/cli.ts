import { main, type CliIO } from '../../harness/cli.ts';

/** A CliIO that records what the CLI writes: pass `.io` to `main`, read `.out` and `.err`. */
export function captureIO(env: NodeJS.ProcessEnv = process.env): { io: CliIO; readonly out: string; readonly err: string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
      env,
    },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

/** Runs the CLI in-process with captured output; resolves to the exit code and what was printed. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const cap = captureIO(env);
  const code = await main(args, cap.io);
  return { code, stdout: cap.out, stderr: cap.err };
}
