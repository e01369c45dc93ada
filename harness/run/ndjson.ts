import { createWriteStream, type WriteStream } from 'node:fs';

/** Batches NDJSON lines into one write per tick or per 64 KB: at thousands of pairs a second, one write per line costs more than the pairs. */
export class NdjsonWriter {
  private out: WriteStream | undefined;
  private lines: string[] = [];
  private size = 0;
  private scheduled = false;

  constructor(private readonly file: string) {}

  write(line: string): void {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= 65_536) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Flushes and closes; creates the file even when nothing was written. */
  async end(): Promise<void> {
    this.flush();
    const out = (this.out ??= createWriteStream(this.file));
    await new Promise<void>((resolve) => out.end(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.lines.length) return;
    (this.out ??= createWriteStream(this.file)).write(this.lines.join(''));
    this.lines = [];
    this.size = 0;
  }
}
