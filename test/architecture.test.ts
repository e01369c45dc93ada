import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Layers import downward only (../shared/STYLE.md): no module imports one that (through others)
// imports it back, and the command layer sits on top: only cli.ts and commands/ import commands/,
// and only commands/ (and cli.ts) import the pipeline that turns a source into a verdict and reports.
const HARNESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../harness');

function modules(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(ts|mjs)$/.test(e.name)) {
        const text = readFileSync(full, 'utf8');
        const deps: string[] = [];
        // Static imports and re-exports (type-only ones too: a type circle is still a circle); dynamic import() is how cli.ts loads commands lazily and is left out.
        for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) deps.push(path.relative(HARNESS, path.resolve(dir, m[1]!)));
        graph.set(path.relative(HARNESS, full), deps);
      }
    }
  };
  walk(HARNESS);
  return graph;
}

/** Tarjan's strongly connected components of size > 1 (or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>(), stack: string[] = [], out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('module layering', () => {
  const graph = modules();

  it('reads the harness (the graph is not empty and resolves its own files)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('commands/run.ts')).toContain('pipeline/run.ts');
  });

  it('has no import circles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('imports the command layer and the pipeline only from above', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const top = file === 'cli.ts' || file.startsWith('commands/');
      for (const d of deps) {
        if (d.startsWith('commands/') && !top) wrong.push(`${file} → ${d}`);
        if (d === 'cli.ts' && file !== 'index.ts') wrong.push(`${file} → ${d}`);
        if (d.startsWith('pipeline/') && !top && !file.startsWith('pipeline/')) wrong.push(`${file} → ${d}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
