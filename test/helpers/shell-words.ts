/**
 * Splits a POSIX shell command line the way `sh` would for the lines parity writes: words split on
 * blanks, '…' taken literally (with the '\'' idiom), "…" with \\, \", \$ and \` escapes and
 * ${NAME} / $NAME expanded from `env` (an unset variable is an error here, not an empty string).
 */
export function shellWords(line: string, env: Record<string, string | undefined>): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  let i = 0;
  const expand = (): string => {
    const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(line.slice(i));
    if (!m) throw new Error(`unsupported $ at ${i}: ${line.slice(i, i + 20)}`);
    i += m[0].length;
    const name = m[1] ?? m[2]!;
    const v = env[name];
    if (v === undefined) throw new Error(`${name} is not set`);
    return v;
  };
  while (i < line.length) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      if (cur !== null) words.push(cur);
      cur = null;
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      cur ??= '';
      i++;
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error('unterminated double quote');
        if (line[i] === '\\' && /[\\"$`]/.test(line[i + 1] ?? '')) {
          cur += line[i + 1];
          i += 2;
        } else if (line[i] === '$') cur += expand();
        else cur += line[i++];
      }
      i++;
    } else if (ch === '\\') {
      cur = (cur ?? '') + (line[i + 1] ?? '');
      i += 2;
    } else if (ch === '$') {
      cur = (cur ?? '') + expand();
    } else {
      cur = (cur ?? '') + ch;
      i++;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** The request a `curl -sS -i -X METHOD 'URL' -H '…' --data-raw '…'` line sends. */
export function curlRequest(words: string[]): { method: string; url: string; headers: Record<string, string>; body: string | undefined } {
  if (words[0] !== 'curl') throw new Error(`not a curl line: ${words[0]}`);
  let method = 'GET';
  let url = '';
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let k = 1; k < words.length; k++) {
    const w = words[k]!;
    if (w === '-X') method = words[++k]!;
    else if (w === '-H') {
      const h = words[++k]!;
      const at = h.indexOf(':');
      headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
    } else if (w === '--data-raw') body = words[++k]!;
    else if (w.startsWith('-')) continue;
    else url = w;
  }
  return { method, url, headers, body };
}
