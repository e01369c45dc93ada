// A parity CLI process for tests that must start N of them at one moment on a busy machine: it
// loads the harness, says "ready" over IPC, and runs `parity <args>` when the test sends them
// (with a --start-at picked once every process is ready). Exits with the CLI's exit code.
import { main } from '../../harness/cli.ts';
import '../../harness/commands/run.ts';
import '../../harness/pipeline/run.ts';
import '../../harness/run/engine.ts';

process.once('message', (m: { args: string[] }) => {
  void main(m.args).then((code) => {
    process.exitCode = code;
    process.disconnect();
  });
});
process.send!({ type: 'ready' });
