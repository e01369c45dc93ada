import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProgram } from '../../harness/hooks/available.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startSseServer } from '../helpers/sse-server.ts';

/**
 * An exec hook whose command or cwd is missing was found only when it fired: after a whole run of
 * traffic (exit 4), and in `parity shadow` only when a window failed, i.e. exactly when the
 * rollback was needed. Now every command that loads a policy refuses it before any request
 * (exit 3, PARITY_CONFIG_INVALID, the file and the field path named).
 */
describe('findProgram: where execvp would find a hook command', () => {
  const ws = tempWorkspace();
  const bin = path.join(ws.dir, 'bin');
  mkdirSync(bin);
  const script = (file: string, mode: number) => (writeFileSync(file, '#!/bin/sh\nexit 0\n'), chmodSync(file, mode), file);
  script(path.join(bin, 'rollback'), 0o755);
  script(path.join(bin, 'plain'), 0o644);
  mkdirSync(path.join(bin, 'adir'));

  it('a bare name is searched on PATH, in order; an empty PATH entry is the cwd', () => {
    expect(findProgram('rollback', ws.dir, `/nonexistent:${bin}`)).toEqual({ file: path.join(bin, 'rollback') });
    expect(findProgram('rollback', bin, '/nonexistent:')).toEqual({ file: path.join(bin, 'rollback') });
    expect(findProgram('node', ws.dir, process.env.PATH)).toMatchObject({ file: expect.stringMatching(/node$/) });
    expect(findProgram('rollback', ws.dir, '/nonexistent')).toMatchObject({ problem: expect.stringMatching(/"rollback" not found on PATH/) });
  });

  it('a bare name that is only a directory or a file without the executable bit is not found', () => {
    expect(findProgram('adir', ws.dir, bin)).toMatchObject({ problem: expect.stringMatching(/not found on PATH/) });
    expect(findProgram('plain', ws.dir, bin)).toMatchObject({ problem: expect.stringMatching(/found on PATH but not executable/) });
  });

  it('a name with a slash is a path, relative to the hook cwd, with no PATH search', () => {
    expect(findProgram('./bin/rollback', ws.dir, '')).toEqual({ file: path.join(bin, 'rollback') });
    expect(findProgram(path.join(bin, 'rollback'), '/', '')).toEqual({ file: path.join(bin, 'rollback') });
    expect(findProgram('./rollback', ws.dir, bin)).toMatchObject({ problem: expect.stringMatching(/does not exist/) });
    expect(findProgram('./bin/plain', ws.dir, '')).toMatchObject({ problem: expect.stringMatching(/not executable: chmod \+x/) });
    expect(findProgram('./bin/adir', ws.dir, '')).toMatchObject({ problem: expect.stringMatching(/is a directory/) });
  });
});

describe('exec hooks checked before any traffic', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  const policy = (name: string, hooks: string) => {
    const file = path.join(ws.dir, `${name}.yaml`);
    writeFileSync(file, `minSamples: 1\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n${hooks}`);
    return file;
  };
  beforeAll(async () => {
    server = await startSseServer();
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: ws.promptsFile, load: { vus: 2, iterations: 20 } })));
  });
  afterAll(() => server.close());

  it('parity run: a command not on PATH is exit 3 before any request, naming the file and the field', async () => {
    const p = policy('not-on-path', '  onPass:\n    - exec: [node, -e, "0"]\n  onFail:\n    - exec: [rollbak-frontend, --now]\n');
    const r = await runCli(['run', ws.configFile, '--policy', p, '--out', ws.out, '--quiet'], process.env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toContain('not-on-path.yaml: 1 problem; nothing was sent.');
    expect(r.stderr).toMatch(/"rollbak-frontend" not found on PATH[^\n]*\n\s+→ at hooks\.onFail\[0\]\.exec/);
    expect(server.count()).toBe(0);
  });

  it('a missing path, a file that is not executable, a missing cwd: every problem at once', async () => {
    writeFileSync(path.join(ws.dir, 'rollback.sh'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(ws.dir, 'rollback.sh'), 0o644);
    const p = policy('broken-hooks', '  onFail:\n    - exec: [./missing.sh]\n      cwd: .\n    - exec: [./rollback.sh]\n      cwd: .\n  onInconclusive:\n    exec: [node, -e, "0"]\n    cwd: no-such-dir\n');
    const r = await runCli(['run', ws.configFile, '--policy', p, '--out', ws.out, '--quiet'], process.env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('broken-hooks.yaml: 3 problems; nothing was sent.');
    expect(r.stderr).toMatch(/"\.\/missing\.sh" does not exist[^\n]*\n\s+→ at hooks\.onFail\[0\]\.exec/);
    expect(r.stderr).toMatch(/"\.\/rollback\.sh" [^\n]*is not executable: chmod \+x[^\n]*\n\s+→ at hooks\.onFail\[1\]\.exec/);
    expect(r.stderr).toMatch(/working directory "no-such-dir" [^\n]*does not exist[^\n]*\n\s+→ at hooks\.onInconclusive\[0\]\.cwd/);
    expect(server.count()).toBe(0);
  });

  it('an exec argument holding ${NAME} (substituted in env and headers, never in argv): refused before traffic, the fix named', async () => {
    const p = policy('argv-env', '  onFail:\n    - exec: [node, -e, "0", --token, "${DEPLOY_TOKEN}"]\n      env: { DEPLOY_TOKEN: "${DEPLOY_TOKEN}" }\n    - exec: "echo ${HOME}"\n      shell: true\n');
    const r = await runCli(['run', ws.configFile, '--policy', p, '--out', ws.out, '--quiet'], { ...process.env, DEPLOY_TOKEN: 'tok-argv-1234' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('argv-env.yaml: 1 problem; nothing was sent.');
    expect(r.stderr).toMatch(/"\$\{DEPLOY_TOKEN\}" is not substituted in exec arguments[^\n]*env: \{ DEPLOY_TOKEN: "\$\{DEPLOY_TOKEN\}" \}[^\n]*\n\s+→ at hooks\.onFail\[0\]\.exec\[4\]/);
    expect(r.stderr).not.toContain('tok-argv-1234');
    expect(server.count()).toBe(0);
  });

  it('a hook timeout written as a bare number below a second (milliseconds: `timeout: 60` stopped a rollback after 60 ms) is refused, naming both readings', async () => {
    const p = policy('bare-timeout', '  onFail:\n    - exec: [node, -e, "0"]\n      timeout: 60\n    - webhook: http://127.0.0.1:9/x\n      timeout: 5\n  onPass:\n    - exec: [node, -e, "0"]\n      timeout: 90000\n    - exec: [node, -e, "0"]\n      timeout: 60ms\n');
    const r = await runCli(['validate', ws.configFile, '--policy', p], process.env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('bare-timeout.yaml: 2 problems');
    expect(r.stderr).toMatch(/60 is 60 ms; write "60s" for seconds, or "60ms" if that is meant[^\n]*\n\s+→ at hooks\.onFail\[0\]\.timeout/);
    expect(r.stderr).toMatch(/5 is 5 ms[^\n]*\n\s+→ at hooks\.onFail\[1\]\.timeout/);
  });

  it('parity shadow: refused before its preflight, before it listens', async () => {
    const p = policy('shadow-missing', '  onFail:\n    - exec: [/nonexistent/rollback.sh]\n');
    const r = await runCli(['shadow', ws.configFile, '--listen', '127.0.0.1:0', '--policy', p, '--out', ws.out, '--window', '1s', '--windows', '1', '--quiet'], process.env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/"\/nonexistent\/rollback\.sh" does not exist[^\n]*\n\s+→ at hooks\.onFail\[0\]\.exec/);
    expect(r.stdout).not.toMatch(/listening/);
    expect(server.count()).toBe(0);
  });

  it('a hook inherited through extends is named in the file that declares it', async () => {
    const parent = policy('parent', '  onFail:\n    - exec: [rollbak-frontend]\n');
    const child = path.join(ws.dir, 'child.yaml');
    writeFileSync(child, `extends: ./parent.yaml\ngates:\n  - { metric: error_rate, threshold: "<= 10%" }\n`);
    const r = await runCli(['validate', ws.configFile, '--policy', child], process.env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${path.basename(parent)}: 1 problem`);
    expect(r.stderr).toMatch(/→ at hooks\.onFail\[0\]\.exec/);
  });

  it('present commands pass the check and fire: a relative path against cwd, PATH from the hook env, a shell string', async () => {
    const hooksDir = path.join(ws.dir, 'hooks');
    mkdirSync(hooksDir, { recursive: true });
    const marks = path.join(ws.dir, 'marks');
    const mark = (name: string) => {
      const file = path.join(hooksDir, name);
      writeFileSync(file, `#!/bin/sh\necho ${name} >> ${JSON.stringify(marks)}\n`);
      chmodSync(file, 0o755);
    };
    mark('rel.sh');
    mark('onpath');
    const list = `    - exec: [./rel.sh]\n      cwd: hooks\n    - exec: [onpath]\n      env: { PATH: ${JSON.stringify(`${hooksDir}:/usr/bin:/bin`)} }\n    - exec: "echo shell >> ${marks}"\n      shell: true\n`;
    // Pass, or inconclusive when the shared machine makes the harness report itself unhealthy: the same hooks either way.
    const p = policy('present', `  onPass:\n${list}  onInconclusive:\n${list}`);
    const r = await runCli(['run', ws.configFile, '--policy', p, '--out', ws.out, '--quiet'], process.env);
    expect([0, 2], r.stdout + r.stderr).toContain(r.code);
    expect(readFileSync(marks, 'utf8').split('\n').filter(Boolean)).toEqual(['rel.sh', 'onpath', 'shell']);
    expect(server.count()).toBeGreaterThan(0);
  });

  it('parity gate on a stored run: refused before judging, run.json left as it was', async () => {
    const r0 = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'stored', '--quiet'], process.env);
    expect(r0.code, r0.stderr).toBe(0);
    const runJson = path.join(ws.out, 'stored', 'run.json');
    const before = readFileSync(runJson, 'utf8');
    const p = policy('gate-missing', '  onFail:\n    - exec: [rollbak-frontend]\n  onPass:\n    - exec: [node, -e, "0"]\n');
    const r = await runCli(['gate', runJson, '--policy', p], process.env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/"rollbak-frontend" not found on PATH[^\n]*\n\s+→ at hooks\.onFail\[0\]\.exec/);
    expect(r.stdout).not.toMatch(/verdict/);
    expect(readFileSync(runJson, 'utf8')).toBe(before);
    expect((JSON.parse(before) as RunResult).verdict ?? null).toBeNull();
  });
});
