import { readFile } from 'node:fs/promises';
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

/** Reads a JSONL prompt set; every bad line is reported with its line number, `field` names the config field. */
export async function readPromptSet(file: string, field: string): Promise<PromptSetResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, issues: [{ path: field, message: `cannot read prompt file ${file} (${code}); fix the path (it is relative to the config file)` }] };
  }
  const prompts: Prompt[] = [];
  const issues: ConfigIssue[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      issues.push({ path: field, message: `${file} line ${i + 1} is not JSON; each line must be {"text": "...", "expectsCitations": true|false}` });
      return;
    }
    const parsed = Prompt.safeParse(value, { reportInput: true });
    if (parsed.success) prompts.push(parsed.data);
    else for (const iss of fromZodIssues(parsed.error.issues)) issues.push({ path: field, message: `${file} line ${i + 1}: ${iss.path ? iss.path + ': ' : ''}${iss.message}` });
  });
  if (issues.length === 0 && prompts.length === 0) issues.push({ path: field, message: `${file} has no prompts; add one JSON object per line` });
  return issues.length ? { ok: false, issues } : { ok: true, prompts };
}
