import { parseDuration } from '../config/duration.ts';
import { UsageError } from '../errors.ts';
import { executeShadow } from '../pipeline/shadow.ts';
import type { Command } from './command.ts';

/** `HOST:PORT`, `[::1]:PORT` or `PORT` (on 127.0.0.1). */
export function parseListen(flag: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} takes HOST:PORT (e.g. 127.0.0.1:8080, or :0 style port 0 for any free port), got "${value}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

export const shadowCommand: Command = {
  usage: 'shadow <config> --listen host:port [--mode inline|mirror] [--admin host:port] [--policy p] [--window 5m] [...]',
  summary: 'compare live traffic during the canary: inline proxy or mirror receiver, judged in windows',
  options: {
    listen: { type: 'string' },
    mode: { type: 'string', default: 'inline' },
    admin: { type: 'string' },
    policy: { type: 'string' },
    window: { type: 'string' },
    windows: { type: 'string' },
    duration: { type: 'string' },
    capture: { type: 'string' },
    out: { type: 'string' },
    id: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
  help: {
    listen: { description: 'address the live traffic (inline) or the mirrored copies (mirror) arrive on; port 0 takes a free one', example: '--listen 0.0.0.0:8080' },
    mode: { description: 'inline: parity proxies to the baseline and copies to the candidate; mirror: parity receives copies a proxy mirrors and sends them paired to both', default: 'inline', example: '--mode mirror' },
    admin: { description: 'controller endpoints (/verdict, /metrics, Flagger webhooks) on their own port', default: 'none', example: '--admin 0.0.0.0:9090' },
    policy: { description: 'policy each window is judged by; rollout decisions fire its hooks', default: 'none: windows are recorded, not judged', example: '--policy seed-000-stage-b' },
    window: { description: 'tumbling window length', default: 'shadow.window (5m)', example: '--window 1m' },
    windows: { description: 'stop after this many windows', default: 'until Ctrl-C or --duration', example: '--windows 12' },
    duration: { description: 'stop after this long (a window cut short is incomplete)', default: 'until Ctrl-C or --windows', example: '--duration 24h' },
    capture: { description: 'append every copied request (after header drops and rewrites) to this NDJSON file, for replay', default: 'none', example: '--capture reports/mirrored.ndjson' },
    out: { description: 'folder the shadow writes <id>/windows/<n>/ and <id>/cumulative/ into', default: "the config's outDir (reports)", example: '--out /var/lib/parity' },
    id: { description: 'name of the shadow folder', default: 'shadow- plus a timestamp', example: '--id canary-2026-12-01' },
    'dry-run': { description: 'print the hooks a decision would fire; run none', example: '--dry-run' },
    quiet: { description: 'no line per window', example: '--quiet' },
  },
  examples: ['parity shadow scenarios/python-to-node.shadow.yaml --listen 0.0.0.0:8080 --admin 0.0.0.0:9090 --policy seed-000-stage-b --window 5m'],
  async execute({ values, positionals }, io) {
    const [file] = positionals;
    if (!file || !values.listen) throw new UsageError('parity shadow needs a config and a listen address: parity shadow shadow.config.yaml --listen 127.0.0.1:8080 [--mode mirror] [--policy seed-000-stage-b]');
    const mode = values.mode as string;
    if (mode !== 'inline' && mode !== 'mirror') throw new UsageError(`--mode takes "inline" (parity proxies to the baseline and copies to the candidate) or "mirror" (parity receives mirrored copies), got "${mode}"`);
    const windows = values.windows === undefined ? undefined : Number(values.windows);
    if (windows !== undefined && (!Number.isInteger(windows) || windows < 1)) throw new UsageError(`--windows takes a whole number of windows ≥ 1, got "${values.windows as string}"`);
    const id = values.id as string | undefined;
    if (id !== undefined && (!/^[\w.-]+$/.test(id) || /^\.+$/.test(id))) throw new UsageError(`--id may use letters, digits, ".", "_" and "-" only (it names a folder; not "." or ".."), got "${id}"`);
    const listen = parseListen('--listen', values.listen as string);
    const admin = values.admin ? parseListen('--admin', values.admin as string) : undefined;
    if (admin && admin.port !== 0 && admin.port === listen.port && admin.host === listen.host) throw new UsageError(`--admin ${admin.host}:${admin.port} is the --listen address: the controller endpoints need a port of their own, e.g. --admin ${admin.host}:${admin.port + 1 > 65535 ? admin.port - 1 : admin.port + 1}`);
    return executeShadow(
      file,
      {
        listen,
        admin,
        mode,
        policy: values.policy as string | undefined,
        windowMs: duration('--window', values.window as string | undefined),
        windows,
        durationMs: duration('--duration', values.duration as string | undefined),
        capture: values.capture as string | undefined,
        outDir: values.out as string | undefined,
        shadowId: id,
        dryRun: values['dry-run'] as boolean,
        quiet: values.quiet as boolean,
      },
      io,
    );
  },
};
