import { capLogLine, LOG_LINE_CHARS } from '@holdout/db';
import type { LogChunk } from '@holdout/sandbox';

/**
 * Batches a kernel's live output into lines and hands them to `publish` a few times a second
 * (one Redis message per batch, not per write), each with where it starts in the run's log (bytes
 * of UTF-8 text from the start of the run's output: `LogCapture` writes the same text to the log
 * file, so a follower that read the file knows which lines it has). A partial last line waits for
 * its newline or the end.
 */
export class LogLines {
  private partial = '';
  /** Where `partial` starts. */
  private partialAt = 0;
  private lines: string[] = [];
  private at: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly publish: (lines: string[], at: number[]) => Promise<void>,
    private readonly everyMs = 250,
  ) {}

  write(chunk: LogChunk): void {
    const parts = (this.partial + chunk.text).split('\n');
    this.partial = parts.pop() ?? '';
    let at = this.partialAt;
    for (const p of parts) {
      this.push(p, at);
      at += Buffer.byteLength(p) + 1;
    }
    this.partialAt = at;
    if (this.partial.length > LOG_LINE_CHARS) {
      this.push(this.partial, at);
      this.partialAt = at + Buffer.byteLength(this.partial);
      this.partial = '';
    }
    if (this.lines.length && !this.timer) this.timer = setTimeout(() => void this.flush(), this.everyMs);
  }

  async flush(final = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (final && this.partial) {
      this.push(this.partial, this.partialAt);
      this.partialAt += Buffer.byteLength(this.partial);
      this.partial = '';
    }
    const [batch, at] = [this.lines, this.at];
    [this.lines, this.at] = [[], []];
    if (batch.length) await this.publish(batch, at).catch(() => undefined);
  }

  private push(line: string, at: number): void {
    this.lines.push(capLogLine(line));
    this.at.push(at);
  }
}
