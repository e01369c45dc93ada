import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, rename, rm, writeFile } from 'node:fs/promises';

/**
 * The file-system calls parity's outputs go through (run.json, samples, the spool, the audit log).
 * One object, so a test can make any of them fail the way a full or read-only disk does
 * (`vi.spyOn(outputFs, 'writeFile')`) without a real small file system.
 */
export const outputFs = { writeFile, rename, rm, appendFile, openSync, writeSync, closeSync };
