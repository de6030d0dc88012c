import { open } from 'node:fs/promises';
import { CsvReader, type FieldSink } from '@holdout/metrics';

// Reads whole CSV files into records through the scorer's CSV framing (@holdout/metrics), for
// bundle validation and tests. Files read here are labels and solutions, not submissions.

class StringSink implements FieldSink {
  private parts: Buffer[] = [];
  value = '';
  begin(): void {
    this.parts = [];
  }
  feed(buf: Uint8Array, pos: number, end: number, quoted: boolean): number {
    let i = pos;
    while (i < end) {
      const c = buf[i]!;
      if (c === 0x22 || (!quoted && (c === 0x2c || c === 0x0a || c === 0x0d))) break;
      i++;
    }
    this.parts.push(Buffer.from(buf.subarray(pos, i)));
    return i;
  }
  literal(byte: number): void {
    this.parts.push(Buffer.of(byte));
  }
  end(): void {
    this.value = Buffer.concat(this.parts).toString('utf8');
  }
}

/** A parsed CSV: header names and records keyed by column, with their row (header = row 1). */
export interface CsvTable {
  columns: string[];
  rows: Array<{ row: number; values: Record<string, string> }>;
}

/** Reads a CSV file. Throws the scorer's `ScoringError` for malformed framing. */
export async function readCsvFile(path: string, name = path): Promise<CsvTable> {
  const { table, reader } = tableReader(name);
  const file = await open(path);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length);
      if (bytesRead === 0) break;
      reader.write(Uint8Array.prototype.slice.call(buf, 0, bytesRead));
    }
    reader.close();
  } finally {
    await file.close();
  }
  return table;
}

/** Parses CSV text held in memory (a pasted roster). Throws the scorer's `ScoringError` for malformed framing. */
export function parseCsvText(text: string, name: string): CsvTable {
  const { table, reader } = tableReader(name);
  reader.write(new TextEncoder().encode(text));
  reader.close();
  return table;
}

function tableReader(name: string): { table: CsvTable; reader: CsvReader } {
  const table: CsvTable = { columns: [], rows: [] };
  let sinks: StringSink[] = [];
  const reader = new CsvReader(name, {
    header(names) {
      table.columns = names;
      sinks = names.map(() => new StringSink());
      return sinks;
    },
    record(row) {
      const values: Record<string, string> = {};
      table.columns.forEach((c, i) => (values[c] = sinks[i]!.value));
      table.rows.push({ row, values });
    },
  });
  return { table, reader };
}
