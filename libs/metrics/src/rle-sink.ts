import type { FieldProblem, FieldSink } from './csv.js';

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;
const SPACE = 32;
const MAX_DIGITS = 15; // every 15-digit integer is exact in a double

/**
 * Bytes that may follow a run's length in the pair reader: a space, or the field's end. A table
 * rather than a chain of comparisons: V8 compiles a comparison from what it has seen run, so the
 * first line feed after a field (the warm-up's solution has none) would throw the hot loop away.
 */
const ENDS_UNQUOTED = byteSet(SPACE, QUOTE, COMMA, LF, CR);
const ENDS_QUOTED = byteSet(SPACE, QUOTE);

function byteSet(...bytes: number[]): Uint8Array {
  const set = new Uint8Array(256);
  for (const b of bytes) set[b] = 1;
  return set;
}

/**
 * Parses an RLE field straight from the CSV's bytes into runs, without building strings:
 * digits accumulate into a number, a space ends a token. It validates as it goes (integer tokens,
 * positive, sorted, non-overlapping); the caller checks the last run against the image size and
 * the token count with `finish`, because the image is only known once the row has ended.
 *
 * Runs are stored interleaved as [start0, end0, start1, end1, …] with 0-based starts and exclusive
 * ends (pixel p of the file is index p-1), from run `base` of `runs`: a buffer reused for every
 * row, or — with a `RunArena` — straight after the runs already kept, so keeping a row's runs
 * costs no copy.
 */
export class RleSink implements FieldSink {
  /**
   * Interleaved 0-based [start, end) pairs; this field's are runs `base .. base + count - 1`.
   * The sink's own buffer holds doubles (a Dice image may have up to 2^46 pixels); an arena's
   * holds 32-bit integers (instance images: up to 2^32 - 1 pixels), half the memory to fill.
   */
  runs: Float64Array | Uint32Array = new Float64Array(16);
  /** Index of this field's first run in `runs`. */
  base = 0;
  /** Number of runs in the current field. */
  count = 0;
  /** Pixels covered by the current field's runs. */
  area = 0;
  /** The first problem found in the current field, or null. */
  problem: FieldProblem | null = null;
  private acc = 0;
  private digits = 0;
  private tokens = 0;
  private pendingStart = 0;
  private prevStart = -1;
  private prevEnd = 0;

  /** With an arena, each field's runs are written after the arena's kept runs. */
  constructor(private readonly arena: RunArena | null = null) {}

  begin(): void {
    if (this.arena !== null) {
      this.runs = this.arena.runs;
      this.base = this.arena.runCount;
    }
    this.count = 0;
    this.area = 0;
    this.problem = null;
    this.acc = 0;
    this.digits = 0;
    this.tokens = 0;
    this.prevStart = -1;
    this.prevEnd = 0;
  }

  feed(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
    let i = pos;
    for (;;) {
      if (this.problem !== null) return skip(buf, i, end, quoted);
      if (this.digits === 0 && (this.tokens & 1) === 0) i = this.pairs(buf, i, end, quoted);
      // Byte by byte: a token cut by the chunk's end, the field's end, or a problem.
      const stop = this.bytes(buf, i, end, quoted);
      if (!this.paired) return stop;
      i = stop; // a run was completed: back to whole pairs
    }
  }

  /**
   * The scorer's hot loop (every RLE byte of a file passes here): reads whole `start length`
   * pairs, from a token boundary, while each is valid, its two numbers are one space apart, and it
   * is followed by one space or the field's end. It stops *before* anything else — a pair cut by
   * the chunk's end, a bad byte, extra spaces, an invalid run, a full buffer — and `bytes` then
   * reads that stretch again one byte at a time, so there is one place that knows the problems and
   * their messages. (Asking for single spaces and testing digits with one unsigned comparison made
   * this loop ~25 % faster.)
   */
  private pairs(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
    let count = this.count;
    let area = this.area;
    let prevStart = this.prevStart;
    let prevEnd = this.prevEnd;
    const runs = this.runs;
    let at = 2 * (this.base + count);
    const ends = quoted ? ENDS_QUOTED : ENDS_UNQUOTED;
    let i = pos;
    for (;;) {
      // i: the first byte of a run's start.
      let j = i;
      let start = 0;
      for (; j < end; j++) {
        const d = (buf[j]! - 48) >>> 0; // a digit is 0..9; anything else wraps past 9
        if (d > 9) break;
        start = start * 10 + d;
      }
      if (j === i || j >= end - 1 || j - i > MAX_DIGITS || buf[j] !== SPACE) break;
      const from = ++j;
      let length = 0;
      for (; j < end; j++) {
        const d = (buf[j]! - 48) >>> 0;
        if (d > 9) break;
        length = length * 10 + d;
      }
      if (j === from || j === end || j - from > MAX_DIGITS) break;
      const next = buf[j]!;
      if (ends[next] === 0) break;
      const s0 = start - 1;
      if (s0 < prevEnd || length < 1 || at + 2 > runs.length) break; // (s0 >= prevEnd >= 0: start >= 1)
      runs[at] = s0;
      runs[at + 1] = s0 + length;
      at += 2;
      count++;
      area += length;
      prevStart = s0;
      prevEnd = s0 + length;
      i = j;
      if (next !== SPACE) break; // the field's end
      i++;
    }
    this.tokens += 2 * (count - this.count);
    this.count = count;
    this.area = area;
    this.prevStart = prevStart;
    this.prevEnd = prevEnd;
    return i;
  }

  /** Whether the last `bytes` call stopped right after a completed run. */
  private paired = false;

  /** Reads byte by byte until the field's end, a problem, or a completed run (`paired`). */
  private bytes(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
    this.paired = false;
    let acc = this.acc;
    let digits = this.digits;
    let i = pos;
    for (; i < end; i++) {
      const c = buf[i]!;
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        acc = acc * 10 + d;
        digits++;
      } else if (c === SPACE) {
        if (digits !== 0) {
          if (!this.token(acc, digits)) return skip(buf, i, end, quoted);
          acc = 0;
          digits = 0;
          if ((this.tokens & 1) === 0) {
            this.paired = true;
            i++;
            break;
          }
        }
      } else if (c === QUOTE || (!quoted && (c === COMMA || c === LF || c === CR))) {
        break;
      } else {
        this.badByte(c, acc, digits);
        return skip(buf, i, end, quoted);
      }
    }
    this.acc = acc;
    this.digits = digits;
    return i;
  }

  literal(byte: number): void {
    if (this.problem === null) this.badByte(byte, this.acc, this.digits);
  }

  end(): void {
    if (this.problem === null && this.digits !== 0) this.token(this.acc, this.digits);
    if (this.problem === null && this.tokens % 2 !== 0) {
      this.problem = { code: 'odd_token_count', detail: `the RLE has an odd number of tokens (${this.tokens}); it must be start/length pairs` };
    }
  }

  /** Whether the field had no runs at all (an empty mask). */
  get empty(): boolean {
    return this.count === 0;
  }

  /**
   * The last run's 1-based start and length, for the message when it ends past the image (see
   * `lastEnd`). Kept as numbers rather than read back from `runs`, whose 32-bit cells would wrap a
   * (rejected) run past 2^32.
   */
  get lastRun(): { start: number; length: number } {
    return { start: this.prevStart + 1, length: this.prevEnd - this.prevStart };
  }

  /** Last covered pixel plus one (0 when empty). */
  get lastEnd(): number {
    return this.prevEnd;
  }

  private token(value: number, digits: number): boolean {
    const index = this.tokens++;
    if (digits > MAX_DIGITS) {
      this.problem = { code: 'run_out_of_image', detail: `token ${index + 1} (${digits} digits) is larger than any image` };
      return false;
    }
    if ((index & 1) === 0) {
      this.pendingStart = value;
      return true;
    }
    const start = this.pendingStart;
    if (start < 1 || value < 1) {
      this.problem = {
        code: 'non_positive_run',
        detail: `run ${start} ${value} has a ${start < 1 ? 'start' : 'length'} of 0; starts are 1-based and lengths positive`,
      };
      return false;
    }
    const s0 = start - 1;
    if (s0 < this.prevEnd) {
      const [ps, pl] = [this.prevStart + 1, this.prevEnd - this.prevStart];
      this.problem =
        s0 < this.prevStart
          ? { code: 'unsorted_runs', detail: `runs are not sorted (start ${start} after ${ps})` }
          : { code: 'overlapping_runs', detail: `run ${start} ${value} overlaps the previous run ${ps} ${pl}` };
      return false;
    }
    const at = 2 * (this.base + this.count);
    if (at + 2 > this.runs.length) {
      if (this.arena !== null) this.runs = this.arena.grow(at + 2);
      else {
        const grown = new Float64Array(this.runs.length * 2);
        grown.set(this.runs.subarray(0, at));
        this.runs = grown;
      }
    }
    this.runs[at] = s0;
    this.runs[at + 1] = s0 + value;
    this.count++;
    this.area += value;
    this.prevStart = s0;
    this.prevEnd = s0 + value;
    return true;
  }

  private badByte(c: number, acc: number, digits: number): void {
    const token = this.tokens + 1;
    const sofar = digits === 0 ? '' : ` after "${acc}"`;
    if (c === 45 /* - */ && digits === 0) {
      this.problem = { code: 'non_positive_run', detail: `token ${token} is negative` };
    } else if (c === 0) {
      this.problem = { code: 'binary_file', detail: 'contains a NUL byte (is this a binary file?)' };
    } else if (c >= 0x21 && c <= 0x7e) {
      this.problem = { code: 'invalid_token', detail: `token ${token} is not an integer (found "${String.fromCharCode(c)}"${sofar})` };
    } else {
      const hex = `0x${c.toString(16).padStart(2, '0')}`;
      this.problem = {
        code: c < 0x20 && c !== 9 ? 'binary_file' : 'invalid_token',
        detail: `token ${token} is not an integer (found byte ${hex}${sofar}); tokens are separated by spaces`,
      };
    }
  }
}

/** Runs kept by a file reader: an `RleSink` writes each field after the first `runCount` runs. */
export interface RunArena {
  runs: Uint32Array;
  runCount: number;
  /** Replaces `runs` by a copy with room for at least `length` values, and returns it. */
  grow(length: number): Uint32Array;
}

function skip(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
  let i = pos;
  if (quoted) {
    const at = buf.indexOf(QUOTE, pos);
    return at < 0 || at > end ? end : at;
  }
  while (i < end) {
    const c = buf[i]!;
    if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
    i++;
  }
  return i;
}
