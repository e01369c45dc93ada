import path from 'node:path';

/**
 * A file path as printed: relative when it is inside the current directory ("reports/x/run.json"),
 * absolute otherwise, never a climb like "../../../../tmp/x".
 */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}
