/**
 * Encodes a binary mask as a Kaggle RLE string ("start length …", 1-indexed) from its lines, fed
 * in the competition's pixel order: whole columns top to bottom, left to right, for `column` order;
 * whole rows for `row` order. Only the runs are kept, never the mask; a run open at the end of a
 * line continues into the next, as in `encodeRle` of `@holdout/metrics`.
 */
export class RleStreamEncoder {
  private readonly parts: string[] = [];
  /** 0-based index in pixel order of the next pixel to be fed. */
  private pixel = 0;
  /** 0-based start of the open run, or -1. */
  private runStart = -1;
  private lines = 0;

  /**
   * `lineLength` is the number of pixels in a line (the image height for `column` order, its width
   * for `row`), `lineCount` the number of lines (its width, or its height).
   */
  constructor(
    readonly lineLength: number,
    readonly lineCount: number,
  ) {
    if (!Number.isSafeInteger(lineLength) || lineLength < 1 || !Number.isSafeInteger(lineCount) || lineCount < 1) {
      throw new RangeError(`RLE stream of ${lineCount} lines of ${lineLength} pixels: sizes must be positive integers`);
    }
  }

  /** Feeds the next line of the mask: a pixel is inside when its value is non-zero. */
  pushLine(line: Uint8Array): void {
    this.startLine(line.length);
    let runStart = this.runStart;
    const base = this.pixel;
    for (let i = 0; i < line.length; i++) {
      if (line[i] !== 0) {
        if (runStart < 0) runStart = base + i;
      } else if (runStart >= 0) {
        this.closeRun(runStart, base + i);
        runStart = -1;
      }
    }
    this.endLine(runStart);
  }

  /**
   * Feeds the next line of the mask as the positions where it changes: each position whose pixel
   * differs from the one before it in the line, the pixel before position 0 counted as outside (as
   * `LineAccumulator.thresholdEdges` gives them). A line whose pixels are all outside has none.
   */
  pushEdges(edges: Int32Array): void {
    this.startLine(this.lineLength);
    let runStart = this.runStart;
    const base = this.pixel;
    let k = 0;
    if (runStart >= 0) {
      // The open run goes on where the line starts inside, and ends where it does not.
      if (edges.length > 0 && edges[0] === 0) k = 1;
      else {
        this.closeRun(runStart, base);
        runStart = -1;
      }
    }
    for (; k < edges.length; k++) {
      const at = base + edges[k]!;
      if (runStart < 0) runStart = at;
      else {
        this.closeRun(runStart, at);
        runStart = -1;
      }
    }
    this.endLine(runStart);
  }

  /** Ends the mask and returns its RLE (empty for an empty mask). Throws when lines are missing. */
  finish(): string {
    if (this.lines !== this.lineCount) {
      throw new RangeError(`RLE stream finished after ${this.lines} of ${this.lineCount} lines`);
    }
    if (this.runStart >= 0) {
      this.closeRun(this.runStart, this.pixel);
      this.runStart = -1;
    }
    return this.parts.join(' ');
  }

  private startLine(length: number): void {
    if (length !== this.lineLength) throw new RangeError(`line of ${length} pixels, expected ${this.lineLength}`);
    if (this.lines >= this.lineCount) throw new RangeError(`more than ${this.lineCount} lines fed`);
  }

  private endLine(runStart: number): void {
    this.runStart = runStart;
    this.pixel += this.lineLength;
    this.lines++;
  }

  private closeRun(start: number, end: number): void {
    this.parts.push(`${start + 1} ${end - start}`);
  }
}
