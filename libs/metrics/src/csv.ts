import { ScoringError } from './errors.js';

/**
 * A streaming RFC 4180 reader over Buffers, built for the scorer's hot path: it never builds a
 * row or a field as a string on its own. Each column gets a `FieldSink` that consumes the
 * field's bytes as they arrive (possibly split across chunks), so an RLE column is parsed into
 * integers straight from the file's bytes and a several-MB field is never copied.
 *
 * Accepts CRLF or LF line ends, an optional UTF-8 BOM, quoted fields with `""` escapes and
 * embedded line breaks, blank lines (skipped), and a missing final line break. Row numbers count
 * CSV records with the header as row 1; blank lines count too, so a row number is the line
 * number in an editor unless a quoted field spans lines.
 */

/** Largest field accepted, in bytes (a whole-slide RLE is a few MB; this is a sanity bound). */
export const MAX_FIELD_BYTES = 64 * 1024 * 1024;

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

/** Consumes one column's bytes; see `CsvReader`. */
export interface FieldSink {
  /** A new field starts. */
  begin(): void;
  /**
   * Consumes `buf[pos..end)` up to (not including) the first byte that may end the segment:
   * `"` in a quoted field; `,`, CR, LF or `"` in an unquoted one. Returns that byte's index, or
   * `end` when all was consumed.
   */
  feed(buf: Uint8Array, pos: number, end: number, quoted: boolean): number;
  /** A literal byte that the reader produced itself (the `"` of an escaped `""`). */
  literal(byte: number): void;
  /** The field ended. */
  end(): void;
}

/** What a `CsvReader` reports to. */
export interface CsvHandler {
  /** The header's column names (trimmed, BOM removed); returns one sink per column. */
  header(names: string[]): FieldSink[];
  /** A data record ended; its fields have all been fed to the sinks and ended. */
  record(row: number): void;
}

const enum State {
  RecordStart,
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  AfterCr,
}

/** Push-style reader: call `write` with each chunk, then `close`. Throws `ScoringError`. */
export class CsvReader {
  private state = State.RecordStart;
  private row = 1;
  private field = 0;
  private fieldBytes = 0;
  /** The header's fields (text) until the header ends. */
  private headerSinks: TextSink[] = [];
  /** One sink per column: the header's while reading it, then the handler's. */
  private sinks: FieldSink[] = this.headerSinks;
  private sink: FieldSink | null = null;
  private inHeader = true;
  private head: Uint8Array | null = new Uint8Array(0); // first bytes, held until the BOM check

  /** `file` names the input in messages, e.g. "submission". */
  constructor(
    private readonly file: string,
    private readonly handler: CsvHandler,
  ) {}

  write(bytes: Uint8Array): void {
    // A plain Uint8Array view whatever the caller passed (Buffer, a subclass, …): the hot loops
    // then see one map, so V8 keeps their optimised code instead of deoptimising on the next chunk.
    const chunk = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.head !== null) {
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      if (joined.length < 4) {
        this.head = joined;
        return;
      }
      this.head = null;
      this.parse(this.stripBom(joined));
      return;
    }
    this.parse(chunk);
  }

  close(): void {
    if (this.head !== null) {
      const head = this.head;
      this.head = null;
      this.parse(this.stripBom(head));
    }
    switch (this.state) {
      case State.RecordStart:
        break;
      case State.Quoted:
        throw this.error('malformed_csv', 'a quoted field is not closed before the end of the file');
      case State.AfterCr:
        if (this.sink === null) break; // a blank line ended by a lone CR
        this.endRecord();
        break;
      case State.FieldStart: // the file ends right after a comma: the last field is empty
        this.sink = this.sinkFor(this.field);
        this.sink.begin();
        this.endField();
        this.endRecord();
        break;
      default:
        this.endField();
        this.endRecord();
    }
    if (this.inHeader) throw new ScoringError('bad_header', `${this.file}: the file is empty (no header row)`, null);
  }

  private stripBom(b: Uint8Array): Uint8Array {
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3);
    if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) {
      throw new ScoringError('not_utf8', `${this.file} row 1: the file is UTF-16; save it as UTF-8`, 1);
    }
    return b;
  }

  private parse(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.RecordStart: {
          const c = buf[i]!;
          if (c === LF) {
            this.row++; // blank line
            i++;
            continue;
          }
          if (c === CR) {
            this.state = State.AfterCr;
            i++;
            continue;
          }
          this.field = 0;
          this.state = State.FieldStart;
          continue;
        }
        case State.FieldStart: {
          this.sink = this.sinkFor(this.field);
          this.sink.begin();
          this.fieldBytes = 0;
          if (buf[i] === QUOTE) {
            this.state = State.Quoted;
            i++;
          } else this.state = State.Unquoted;
          continue;
        }
        case State.Unquoted: {
          const stop = this.sink!.feed(buf, i, n, false);
          this.count(stop - i);
          i = stop;
          if (i === n) break;
          const c = buf[i]!;
          i++;
          if (c === COMMA) {
            this.endField();
            this.field++;
            this.state = State.FieldStart;
          } else if (c === LF) {
            this.endField();
            this.endRecord();
          } else if (c === CR) {
            this.endField();
            this.state = State.AfterCr;
          } else {
            throw this.error('malformed_csv', `field ${this.field + 1} has a quote (") inside an unquoted field`);
          }
          continue;
        }
        case State.Quoted: {
          const stop = this.sink!.feed(buf, i, n, true);
          this.count(stop - i);
          i = stop;
          if (i === n) break;
          i++; // the quote
          this.state = State.QuoteInQuoted;
          continue;
        }
        case State.QuoteInQuoted: {
          const c = buf[i]!;
          i++;
          if (c === QUOTE) {
            this.sink!.literal(QUOTE);
            this.count(1);
            this.state = State.Quoted;
          } else if (c === COMMA) {
            this.endField();
            this.field++;
            this.state = State.FieldStart;
          } else if (c === LF) {
            this.endField();
            this.endRecord();
          } else if (c === CR) {
            this.endField();
            this.state = State.AfterCr;
          } else {
            throw this.error('malformed_csv', `field ${this.field + 1} has text after its closing quote`);
          }
          continue;
        }
        case State.AfterCr: {
          if (buf[i] !== LF) throw this.error('malformed_csv', 'a carriage return (CR) is not followed by a line feed');
          i++;
          if (this.sink === null) {
            this.row++; // blank CRLF line
            this.state = State.RecordStart;
          } else this.endRecord();
          continue;
        }
      }
    }
  }

  private count(bytes: number): void {
    this.fieldBytes += bytes;
    if (this.fieldBytes > MAX_FIELD_BYTES) {
      throw this.error('field_too_large', `field ${this.field + 1} is longer than ${MAX_FIELD_BYTES} bytes`);
    }
  }

  private sinkFor(field: number): FieldSink {
    const sink = this.sinks[field];
    return sink !== undefined ? sink : this.extraField(field);
  }

  /** A field past the known ones: the header grows by one; a data record has too many fields. */
  private extraField(field: number): FieldSink {
    if (!this.inHeader) throw this.error('malformed_csv', `has more than the header's ${this.sinks.length} fields`);
    while (this.headerSinks.length <= field) this.headerSinks.push(new TextSink());
    return this.headerSinks[field]!;
  }

  private endField(): void {
    this.sink!.end();
  }

  private endRecord(): void {
    const fields = this.field + 1;
    this.state = State.RecordStart;
    this.sink = null;
    if (this.inHeader) {
      const names = this.headerSinks.slice(0, fields).map((s) => {
        const problem = s.problem();
        if (problem !== null) throw this.error(problem.code, `header: ${problem.detail}`);
        return s.text().trim();
      });
      // A packed array (no holes) of sinks, one per column: the hot loop's loads stay simple.
      this.sinks = Array.from(this.handler.header(names), (sink) => sink ?? new IgnoreSink());
      this.inHeader = false;
    } else {
      if (fields !== this.sinks.length) {
        throw this.error('malformed_csv', `has ${fields} field${fields === 1 ? '' : 's'}, the header has ${this.sinks.length}`);
      }
      this.handler.record(this.row);
    }
    this.row++;
  }

  private error(code: ScoringError['code'], detail: string): ScoringError {
    return new ScoringError(code, `${this.file} row ${this.row}: ${detail}`, this.row);
  }
}

/** A field problem found by a sink, turned into a `ScoringError` by whoever knows the row and image. */
export interface FieldProblem {
  code: ScoringError['code'];
  detail: string;
}

/**
 * Collects a short text field (id, size, Usage) and checks it is UTF-8 text. It also tells whether
 * the field repeats the previous one of its column byte for byte (`repeated`), found while copying
 * over the previous bytes: rows of an instance file repeat the image's id, size and Usage, and a
 * repeated field needs no parsing or checking again.
 */
export class TextSink implements FieldSink {
  private buf = new Uint8Array(64);
  private len = 0;
  /** Length of the last field that ended (its bytes stay in `buf` until overwritten); -1: none. */
  private endedLen = -1;
  private prevLen = -1;
  private same = false;

  begin(): void {
    this.prevLen = this.endedLen;
    this.len = 0;
    this.same = true;
  }

  /**
   * Whether the field just read has the same bytes as the previous field of this column (false
   * for the first). Valid once the field has ended.
   */
  get repeated(): boolean {
    return this.same && this.len === this.prevLen;
  }

  feed(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
    let i = pos;
    if (quoted) {
      i = indexOfByte(buf, QUOTE, pos, end);
    } else {
      while (i < end) {
        const c = buf[i]!;
        if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
        i++;
      }
    }
    this.append(buf, pos, i);
    return i;
  }

  literal(byte: number): void {
    this.append(Uint8Array.of(byte), 0, 1);
  }

  end(): void {
    this.endedLen = this.len;
  }

  /** The raw bytes of the current field (valid until the next `begin`). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Null when the field is UTF-8 text without control characters. */
  problem(): FieldProblem | null {
    const b = this.bytes();
    let ascii = true;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if ((c < 0x20 && c !== 9 && c !== CR && c !== LF) || c === 0x7f) {
        return { code: 'binary_file', detail: `contains a control byte 0x${c.toString(16).padStart(2, '0')} (is this a binary file?)` };
      }
      if (c >= 0x80) ascii = false;
    }
    if (!ascii) {
      try {
        utf8.decode(b);
      } catch {
        return { code: 'not_utf8', detail: 'is not valid UTF-8 text (save the file as UTF-8)' };
      }
    }
    return null;
  }

  /** The field as a string (call `problem()` first). */
  text(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len).toString('utf8');
  }

  /** Whether the current field's bytes equal `other`. */
  equals(other: Uint8Array): boolean {
    if (other.length !== this.len) return false;
    const b = this.buf;
    for (let i = 0; i < other.length; i++) if (b[i] !== other[i]) return false;
    return true;
  }

  /** The field as a positive integer of at most 9 digits (spaces around allowed), else -1. */
  positiveInt(): number {
    const b = this.buf;
    let i = 0;
    let end = this.len;
    while (i < end && b[i] === 32) i++;
    while (end > i && b[end - 1] === 32) end--;
    if (end === i || end - i > 9) return -1;
    let v = 0;
    for (; i < end; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v > 0 ? v : -1;
  }

  private append(src: Uint8Array, from: number, to: number): void {
    const need = this.len + (to - from);
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
      this.same = false; // the previous field's tail is gone: no longer comparable
    }
    const buf = this.buf;
    if (to - from > 32) {
      this.same = false; // long fields are copied in one go, not compared
      buf.set(src.subarray(from, to), this.len);
    } else {
      let same = this.same;
      for (let i = from, j = this.len; i < to; i++, j++) {
        const c = src[i]!;
        if (buf[j] !== c) same = false;
        buf[j] = c;
      }
      this.same = same;
    }
    this.len = need;
  }
}

/** Skips a column the scorer does not use. */
export class IgnoreSink implements FieldSink {
  begin(): void {}
  feed(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
    if (quoted) return indexOfByte(buf, QUOTE, pos, end);
    let i = pos;
    while (i < end) {
      const c = buf[i]!;
      if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
      i++;
    }
    return i;
  }
  literal(): void {}
  end(): void {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function indexOfByte(buf: Uint8Array, byte: number, pos: number, end: number): number {
  const at = buf.indexOf(byte, pos);
  return at < 0 || at > end ? end : at;
}
