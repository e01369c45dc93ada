import { ParityError } from '../errors.ts';

const WHY: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file is in the way of the folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the path is too long',
  ENOENT: 'a folder on the path does not exist',
};

/**
 * A file parity could not write (`--out` on a file or a read-only disk, an unwritable
 * `--summary-to`), as a coded error with the path and the fix instead of a stack trace. Errors
 * that are not file-system errors pass through unchanged.
 */
export function outputFailed(err: unknown, what: string, file: string, fix: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof ParityError || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return err;
  return new ParityError('PARITY_OUTPUT_FAILED', `cannot write ${what} ${file} (${code}: ${WHY[code] ?? 'file-system error'}); ${fix}`, { cause: err });
}
