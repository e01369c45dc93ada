#!/usr/bin/env node
/**
 * Seed 000's one-click rollback as a parity onFail hook: switch the frontend back to the baseline
 * (Python) by rewriting its env file, then optionally rebuild.
 *
 *   Runbook: Set-Content -Path frontend/.env.local -Value "VITE_USE_NODE_BACKEND=false
 *            VITE_CHAT_API_BASE_URL=http://localhost:8000"; npm.cmd --prefix frontend run build
 *
 * In a policy:
 *   hooks:
 *     onFail:
 *       - exec: [node, scenarios/hooks/rollback-frontend.mjs, --env-file, frontend/.env.local]
 *         timeout: 5m
 *
 * Options:
 *   --env-file <path>     the file to rewrite (default frontend/.env.local)
 *   --baseline-url <url>  where the frontend should point (default $PARITY_BASELINE_URL)
 *   --build <cmd...>      everything after --build is run as argv (no shell) once the file is written,
 *                         e.g. --build npm --prefix frontend run build
 *
 * parity passes the verdict in PARITY_* environment variables and as JSON on stdin; this script
 * reads them as data and never hands them to a shell. It acts only on a "fail" verdict.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const buildAt = args.indexOf('--build');
const build = buildAt >= 0 ? args.splice(buildAt).slice(1) : [];
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const envFile = opt('--env-file', 'frontend/.env.local');
const baselineUrl = opt('--baseline-url', process.env.PARITY_BASELINE_URL);

const stdin = readFileSync(0, 'utf8');
const payload = stdin.trim() ? JSON.parse(stdin) : {};
const verdict = process.env.PARITY_VERDICT ?? payload.verdict?.status;
if (verdict !== 'fail') {
  console.log(`verdict is "${verdict}": nothing to roll back`);
  process.exit(0);
}
if (!baselineUrl) {
  console.error('no baseline URL: pass --baseline-url or run from a parity hook (PARITY_BASELINE_URL)');
  process.exit(2);
}

// Rewrite only the two switch keys; keep every other line of the file as it was.
const wanted = { VITE_USE_NODE_BACKEND: 'false', VITE_CHAT_API_BASE_URL: baselineUrl };
const lines = existsSync(envFile) ? readFileSync(envFile, 'utf8').split(/\r?\n/) : [];
const seen = new Set();
const out = lines.map((line) => {
  const key = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
  if (key && key in wanted) {
    seen.add(key);
    return `${key}=${wanted[key]}`;
  }
  return line;
});
while (out.length && out[out.length - 1] === '') out.pop();
for (const [k, v] of Object.entries(wanted)) if (!seen.has(k)) out.push(`${k}=${v}`);
// Write beside, then rename: a reader never sees a half-written file.
writeFileSync(`${envFile}.parity-tmp`, out.join('\n') + '\n');
renameSync(`${envFile}.parity-tmp`, envFile);
const failed = payload.verdict?.gates?.filter((g) => g.status === 'fail').map((g) => g.id) ?? [];
console.log(`rolled back ${envFile} to the baseline ${baselineUrl} (run ${process.env.PARITY_RUN_ID ?? '?'}, failed gates: ${failed.join(', ') || 'none'})`);

if (build.length) {
  const r = spawnSync(build[0], build.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`rebuild failed: ${build.join(' ')} exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
}
