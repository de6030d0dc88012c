import { createWriteStream, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { LogChunk } from './kernel-runner.js';

const TAIL_BYTES = 16 * 1024;
const TAIL_LINES = 50;
/** A partial line longer than this is passed on without waiting for its end. */
const PARTIAL_LINE_BYTES = 4 * 1024;

/**
 * Captures a kernel's stdout and stderr: the first `capBytes` go to the log file and to
 * `onLog`; the rest is counted and dropped (the truncation is marked), while the last 16 KiB
 * are always kept so the tail shown for an exception is the real end of the output.
 *
 * The two streams arrive interleaved in whatever pieces the kernel wrote (unbuffered Python writes
 * `print`'s text and its newline separately), so each stream's output is passed on in whole lines
 * (or `\r`-ended progress-bar updates): a line of stdout never ends up spliced into a traceback.
 */
export class LogCapture {
  private written = 0;
  private seen = 0;
  private truncated = false;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly partial: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  private readonly partialSize = { stdout: 0, stderr: 0 };
  private readonly file: WriteStream;
  private fileError: Error | null = null;

  constructor(
    path: string,
    private readonly capBytes: number,
    private readonly onLog?: (chunk: LogChunk) => void,
  ) {
    this.file = createWriteStream(path, { flags: 'w' });
    this.file.on('error', (err) => {
      this.fileError = err;
    });
  }

  write(stream: 'stdout' | 'stderr', data: Buffer): void {
    this.seen += data.length;
    const end = Math.max(data.lastIndexOf(0x0a), data.lastIndexOf(0x0d)) + 1;
    if (end === 0 && this.partialSize[stream] + data.length <= PARTIAL_LINE_BYTES) {
      this.partial[stream].push(Buffer.from(data));
      this.partialSize[stream] += data.length;
      return;
    }
    const cut = end === 0 ? data.length : end;
    this.commit(stream, Buffer.concat([...this.partial[stream], data.subarray(0, cut)]));
    this.partial[stream] = cut < data.length ? [Buffer.from(data.subarray(cut))] : [];
    this.partialSize[stream] = data.length - cut;
  }

  /** Passes on what each stream left without a line end. */
  private flushPartial(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partialSize[stream] === 0) continue;
      this.commit(stream, Buffer.concat(this.partial[stream]));
      this.partial[stream] = [];
      this.partialSize[stream] = 0;
    }
  }

  private commit(stream: 'stdout' | 'stderr', data: Buffer): void {
    this.keepTail(data);
    if (this.truncated) return;
    const room = this.capBytes - this.written;
    const kept = data.length <= room ? data : data.subarray(0, room);
    if (kept.length > 0) {
      this.written += kept.length;
      this.file.write(kept);
      this.emit(stream, this.decoders[stream].write(kept));
    }
    if (kept.length < data.length) {
      this.truncated = true;
      const notice = `\n[holdout] log truncated after ${this.capBytes} bytes; further output is not kept\n`;
      this.file.write(notice);
      this.emit('stderr', notice);
    }
  }

  /** Flushes the file; resolves when it is closed. */
  async close(): Promise<void> {
    this.flushPartial();
    if (this.truncated) this.file.write(`[holdout] the kernel printed ${this.seen} bytes in all\n`);
    await new Promise<void>((resolve) => this.file.end(resolve));
    if (this.fileError) throw this.fileError;
  }

  get bytesSeen(): number {
    return this.seen;
  }

  get isTruncated(): boolean {
    return this.truncated;
  }

  /** The last lines of everything printed (including what went past the cap). */
  tailText(lines = TAIL_LINES): string {
    this.flushPartial();
    const buf = Buffer.concat(this.tail);
    let text = buf.toString('utf8');
    // Drop a partial first line when the ring has wrapped.
    if (this.seen > buf.length) text = text.slice(text.indexOf('\n') + 1);
    const all = text.replace(/\n$/, '').split('\n');
    return all.slice(-lines).join('\n');
  }

  private emit(stream: 'stdout' | 'stderr', text: string): void {
    if (text && this.onLog) {
      try {
        this.onLog({ stream, text });
      } catch {
        // A listener's fault must not break the capture.
      }
    }
  }

  private keepTail(data: Buffer): void {
    const piece = data.length > TAIL_BYTES ? data.subarray(data.length - TAIL_BYTES) : data;
    this.tail.push(Buffer.from(piece));
    this.tailSize += piece.length;
    while (this.tailSize - this.tail[0]!.length >= TAIL_BYTES) {
      this.tailSize -= this.tail.shift()!.length;
    }
  }
}
