import type { FieldProblem, FieldSink } from './csv.js';

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;
const SPACE = 32;
const MAX_DIGITS = 15; // every 15-digit integer is exact in a double

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
  /** Interleaved 0-based [start, end) pairs; this field's are runs `base .. base + count - 1`. */
  runs: Float64Array = new Float64Array(1024);
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
    if (this.problem !== null) return skip(buf, pos, end, quoted);
    // The hot loop of the scorer: every RLE byte passes here. The field's state lives in locals
    // and a valid run is stored inline; anything else (a problem, a huge token, a full buffer)
    // writes the state back and goes through `token`, which names the problem.
    let acc = this.acc;
    let digits = this.digits;
    let tokens = this.tokens;
    let pending = this.pendingStart;
    let prevStart = this.prevStart;
    let prevEnd = this.prevEnd;
    let count = this.count;
    let area = this.area;
    let runs = this.runs;
    let at = 2 * (this.base + count);
    let i = pos;
    for (; i < end; i++) {
      const c = buf[i]!;
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        acc = acc * 10 + d;
        digits++;
        continue;
      }
      if (c === SPACE) {
        if (digits === 0) continue;
        if (digits <= MAX_DIGITS) {
          if ((tokens & 1) === 0) {
            pending = acc;
            tokens++;
            acc = 0;
            digits = 0;
            continue;
          }
          const s0 = pending - 1;
          if (s0 >= prevEnd && acc >= 1 && at + 2 <= runs.length) {
            runs[at] = s0;
            runs[at + 1] = s0 + acc;
            at += 2;
            count++;
            area += acc;
            prevStart = s0;
            prevEnd = s0 + acc;
            tokens++;
            acc = 0;
            digits = 0;
            continue;
          }
        }
        this.store(tokens, pending, prevStart, prevEnd, count, area);
        if (!this.token(acc, digits)) return skip(buf, i, end, quoted);
        ({ tokens, pendingStart: pending, prevStart, prevEnd, count, area, runs } = this);
        at = 2 * (this.base + count);
        acc = 0;
        digits = 0;
        continue;
      }
      if (c === QUOTE || (!quoted && (c === COMMA || c === LF || c === CR))) break;
      this.store(tokens, pending, prevStart, prevEnd, count, area);
      this.badByte(c, acc, digits);
      return skip(buf, i, end, quoted);
    }
    this.store(tokens, pending, prevStart, prevEnd, count, area);
    this.acc = acc;
    this.digits = digits;
    return i;
  }

  private store(tokens: number, pending: number, prevStart: number, prevEnd: number, count: number, area: number): void {
    this.tokens = tokens;
    this.pendingStart = pending;
    this.prevStart = prevStart;
    this.prevEnd = prevEnd;
    this.count = count;
    this.area = area;
  }

  literal(byte: number): void {
    if (this.problem === null) this.badByte(byte, this.acc, this.digits);
  }

  end(): void {
    if (this.problem === null && this.digits !== 0) this.token(this.acc, this.digits);
    if (this.problem === null && this.tokens % 2 !== 0) {
      this.problem = { code: 'ODD_TOKEN_COUNT', detail: `the RLE has an odd number of tokens (${this.tokens}); it must be start/length pairs` };
    }
  }

  /** Whether the field had no runs at all (an empty mask). */
  get empty(): boolean {
    return this.count === 0;
  }

  /** The 1-based start and length of run `k`, for messages. */
  run(k: number): [number, number] {
    const at = 2 * (this.base + k);
    return [this.runs[at]! + 1, this.runs[at + 1]! - this.runs[at]!];
  }

  /** Last covered pixel plus one (0 when empty): the run end to check against the image size. */
  get lastEnd(): number {
    return this.count === 0 ? 0 : this.runs[2 * (this.base + this.count) - 1]!;
  }

  private token(value: number, digits: number): boolean {
    const index = this.tokens++;
    if (digits > MAX_DIGITS) {
      this.problem = { code: 'RUN_OUT_OF_IMAGE', detail: `token ${index + 1} (${digits} digits) is larger than any image` };
      return false;
    }
    if ((index & 1) === 0) {
      this.pendingStart = value;
      return true;
    }
    const start = this.pendingStart;
    if (start < 1 || value < 1) {
      this.problem = {
        code: 'NON_POSITIVE_RUN',
        detail: `run ${start} ${value} has a ${start < 1 ? 'start' : 'length'} of 0; starts are 1-based and lengths positive`,
      };
      return false;
    }
    const s0 = start - 1;
    if (s0 < this.prevEnd) {
      const [ps, pl] = [this.prevStart + 1, this.prevEnd - this.prevStart];
      this.problem =
        s0 < this.prevStart
          ? { code: 'UNSORTED_RUNS', detail: `runs are not sorted (start ${start} after ${ps})` }
          : { code: 'OVERLAPPING_RUNS', detail: `run ${start} ${value} overlaps the previous run ${ps} ${pl}` };
      return false;
    }
    const at = 2 * (this.base + this.count);
    if (at + 2 > this.runs.length) {
      const grown = new Float64Array(this.runs.length * 2);
      grown.set(this.runs.subarray(0, at));
      this.runs = grown;
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
      this.problem = { code: 'NON_POSITIVE_RUN', detail: `token ${token} is negative` };
    } else if (c === 0) {
      this.problem = { code: 'BINARY_FILE', detail: 'contains a NUL byte (is this a binary file?)' };
    } else if (c >= 0x21 && c <= 0x7e) {
      this.problem = { code: 'INVALID_TOKEN', detail: `token ${token} is not an integer (found "${String.fromCharCode(c)}"${sofar})` };
    } else {
      const hex = `0x${c.toString(16).padStart(2, '0')}`;
      this.problem = {
        code: c < 0x20 && c !== 9 ? 'BINARY_FILE' : 'INVALID_TOKEN',
        detail: `token ${token} is not an integer (found byte ${hex}${sofar}); tokens are separated by spaces`,
      };
    }
  }
}

/** Runs kept by a file reader: an `RleSink` writes each field after the first `runCount` runs. */
export interface RunArena {
  runs: Float64Array;
  runCount: number;
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
