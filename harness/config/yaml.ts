import { isCollection, LineCounter, parseDocument, visit } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';

/**
 * YAML text → value, or a ConfigError naming `file:line:column` and the usual fix. Beyond the
 * parser's own errors, catches the classic template trap: an unquoted `{{prompt}}` is valid YAML
 * (a flow map whose key is a flow map) and would silently send `{"{ prompt }": null}`.
 */
export function parseYamlConfig(text: string, file: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  const where = (offset: number) => {
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  for (const e of doc.errors) {
    const reason = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
    issues.push({ path: '', message: `not valid YAML at ${where(e.pos[0])}: ${reason}${yamlFix(e.code, lineAt(text, e.pos[0]))}` });
  }
  if (issues.length === 0) {
    visit(doc, {
      Pair(_, pair, path) {
        if (isCollection(pair.key)) {
          // The map holding this pair starts where the user wrote "{{".
          const holder = path[path.length - 1] as { range?: [number, number, number] } | undefined;
          const offset = holder?.range?.[0] ?? pair.key.range?.[0] ?? 0;
          issues.push({ path: '', message: `at ${where(offset)}: "${lineAt(text, offset).trim()}" reads as a YAML map, not text; quote a value that starts with {{ ... }}: "{{prompt}}"` });
        }
      },
    });
  }
  if (issues.length) throw new ConfigError(file, issues);
  try {
    return doc.toJS();
  } catch (err) {
    // What only resolving the document finds (an alias whose anchor is missing, alias loops).
    throw new ConfigError(file, [{ path: '', message: `not valid YAML: ${(err as Error).message}; define each &anchor before its *alias, or quote a value that starts with * or &` }]);
  }
}

/**
 * A key written twice in one JSON object: JSON.parse keeps the last one silently (a second `load`
 * block replaces the first), where a YAML config is refused. Read by the YAML parser (JSON is YAML
 * 1.2's flow style) for that error only; the JSON itself was parsed already.
 */
export function duplicateJsonKeys(text: string, file: string): ConfigIssue[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return doc.errors
    .filter((e) => e.code === 'DUPLICATE_KEY')
    .map((e) => {
      const p = lines.linePos(e.pos[0]);
      return { path: '', message: `at ${file}:${p.line}:${p.col}: "${lineAt(text, e.pos[0]).trim().slice(0, 80)}": a key appears twice in one object (JSON keeps the last silently): remove one` };
    });
}

function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return text.slice(start, end < 0 ? undefined : end);
}

function yamlFix(code: string, line: string): string {
  if (line.includes('{{')) return '; quote a value that holds {{ ... }}: message: "{{prompt}}"';
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR') return '; check the indentation (spaces, not tabs; items of one map at the same column) and closing ] or }';
  if (code === 'DUPLICATE_KEY') return '; a key appears twice in one map: remove one';
  if (code === 'TAB_AS_INDENT') return '; indent with spaces, not tabs';
  if (line.includes(': ') && /:\s*[^"'\s].*:\s/.test(line)) return '; a value containing ": " must be quoted';
  return '; quote values with special characters ({ } [ ] : # & * ! | > \' " % @ `)';
}
