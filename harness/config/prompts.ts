import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { fromZodIssues } from './issues.ts';

/** One line of a prompt set (JSONL). */
export const Prompt = z.strictObject({
  id: z.string().optional(),
  text: z.string().min(1),
  /** The prompt should be answered from retrieval: a stream without citations counts against citation presence. */
  expectsCitations: z.boolean().default(false),
});
export type Prompt = z.output<typeof Prompt>;

export type PromptSetResult = { ok: true; prompts: Prompt[] } | { ok: false; issues: ConfigIssue[] };

/** A prompt set is held in memory for the whole run: past this size it is refused, read line by line so a huge file never is. */
export const PROMPT_FILE_MAX_BYTES = 64 * 1024 * 1024;
/** One prompt line past this is refused (a file with no line breaks is one line). */
export const PROMPT_LINE_MAX_BYTES = 1024 * 1024;

/** Reads a JSONL prompt set, streamed; every bad line is reported with its line number, `field` names the config field. */
export async function readPromptSet(file: string, field: string): Promise<PromptSetResult> {
  const prompts: Prompt[] = [];
  const issues: ConfigIssue[] = [];
  const unreadable = (err: unknown): PromptSetResult => {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, issues: [{ path: field, message: `cannot read prompt file ${file} (${code}); fix the path (it is relative to the config file)` }] };
  };
  let lineNo = 0;
  const onLine = (line: string) => {
    lineNo++;
    if (!line.trim() || issues.length >= MAX_ISSUES) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      issues.push({ path: field, message: `${file} line ${lineNo} is not JSON; each line must be {"text": "...", "expectsCitations": true|false}` });
      return;
    }
    const parsed = Prompt.safeParse(value, { reportInput: true });
    if (parsed.success) prompts.push(parsed.data);
    else for (const iss of fromZodIssues(parsed.error.issues)) issues.push({ path: field, message: `${file} line ${lineNo}: ${iss.path ? iss.path + ': ' : ''}${iss.message}` });
  };
  let stream;
  try {
    const st = await stat(file);
    if (st.isDirectory()) return unreadable({ code: 'EISDIR' });
    if (st.size > PROMPT_FILE_MAX_BYTES) return tooBig(file, field, st.size);
    stream = createReadStream(file);
  } catch (err) {
    return unreadable(err);
  }
  // Bytes are counted as they arrive (a FIFO or a growing file has no size to check up front).
  let total = 0;
  let pending = '';
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > PROMPT_FILE_MAX_BYTES) {
        stream.destroy();
        return tooBig(file, field, total);
      }
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
      if (pending.length > PROMPT_LINE_MAX_BYTES) {
        stream.destroy();
        return { ok: false, issues: [{ path: field, message: `${file} line ${lineNo + 1} is longer than ${PROMPT_LINE_MAX_BYTES / 1024 / 1024} MB; a prompt set is one JSON object per line` }] };
      }
    }
  } catch (err) {
    return unreadable(err);
  }
  pending += decoder.decode();
  if (pending) onLine(pending.replace(/\r$/, ''));
  if (issues.length === 0 && prompts.length === 0) issues.push({ path: field, message: `${file} has no prompts; add one JSON object per line` });
  return issues.length ? { ok: false, issues } : { ok: true, prompts };
}

/** A file of bad lines is reported by its first ones, not a million messages. */
const MAX_ISSUES = 20;

function tooBig(file: string, field: string, bytes: number): PromptSetResult {
  return {
    ok: false,
    issues: [{ path: field, message: `${file} is ${(bytes / 1024 / 1024).toFixed(0)}+ MB, above the ${PROMPT_FILE_MAX_BYTES / 1024 / 1024} MB limit for a prompt set (it is held in memory for the run); use fewer or shorter prompts` }],
  };
}
