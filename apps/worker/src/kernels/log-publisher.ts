import type { LogChunk } from '@holdout/sandbox';

const MAX_LINE = 4000;

/**
 * Batches a kernel's live output into lines and hands them to `publish` a few times a second
 * (one Redis message per batch, not per write). A partial last line waits for its newline or the end.
 */
export class LogLines {
  private partial = '';
  private lines: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly publish: (lines: string[]) => Promise<void>,
    private readonly everyMs = 250,
  ) {}

  write(chunk: LogChunk): void {
    const parts = (this.partial + chunk.text).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const p of parts) this.lines.push(p.length > MAX_LINE ? `${p.slice(0, MAX_LINE)}…` : p);
    if (this.lines.length && !this.timer) this.timer = setTimeout(() => void this.flush(), this.everyMs);
  }

  async flush(final = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (final && this.partial) {
      this.lines.push(this.partial);
      this.partial = '';
    }
    const batch = this.lines;
    this.lines = [];
    if (batch.length) await this.publish(batch).catch(() => undefined);
  }
}
