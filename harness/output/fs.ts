import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { OutputError, ParityError } from '../errors.ts';

/**
 * The file-system calls parity's outputs go through (run.json, samples, the spool, reports, the
 * audit log). One object, so a test can make any of them fail the way a full or read-only disk
 * does (`vi.spyOn(outputFs, 'writeSync')`), without a real small file system.
 */
export const outputFs = { writeFile, rename, rm, appendFile, mkdir, mkdirSync, openSync, writeSync, closeSync };

/** Why a write can fail that is about the disk, not about parity: each gets its own fix. */
const DISK: Record<string, string> = {
  ENOSPC: 'the disk is full: free space, or point --out at another disk',
  EDQUOT: 'the disk quota is used up: free space, or point --out at another disk',
  EROFS: 'the file system is read-only: point --out at a writable folder',
  EACCES: 'no permission to write there: fix the folder permissions or point --out elsewhere',
  EPERM: 'the operation is not permitted there: fix the folder permissions or point --out elsewhere',
  EIO: 'the disk reported an I/O error: check the disk, or point --out elsewhere',
  ENOTDIR: 'a part of the path is a file, not a folder: point --out at a folder',
  EISDIR: 'the path is a folder, not a file: remove the folder or choose another path',
  EMFILE: 'too many open files: raise the limit (ulimit -n)',
  ENFILE: 'too many open files on the system: raise the limit',
  EFBIG: 'the file is larger than the file system allows: point --out at another file system',
};

/**
 * A write that failed for a reason about the disk becomes an OutputError (PARITY_OUTPUT_FAILED,
 * exit 3, no stack trace) naming the file, what it was, the system's reason and the fix; anything
 * else (a bug) is passed on as it is.
 */
export function outputError(err: unknown, file: string, what: string): unknown {
  if (err instanceof OutputError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !Object.hasOwn(DISK, code)) return err;
  const reason = (err as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
  return new OutputError(file, `${file}: cannot write ${what} (${code}: ${reason}); ${DISK[code]}. Files already written are complete (the last good run.json is kept); nothing measured after this was recorded.`, { cause: err });
}

/** The system's reason in a few words, for a write whose fix the caller knows (which flag to change). */
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
 * A place parity was told to write that it could not (`--out` on a file or a read-only disk, an
 * unwritable `--summary-to`): an OutputError naming what, the path, the reason and the caller's
 * fix (the flag to change), instead of a stack trace. Errors that are not file-system errors pass
 * through unchanged.
 */
export function outputFailed(err: unknown, what: string, file: string, fix: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof ParityError || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return err;
  return new OutputError(file, `cannot write ${what} ${file} (${code}: ${WHY[code] ?? 'file-system error'}); ${fix}`, { cause: err });
}
