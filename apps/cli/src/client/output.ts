/** Options every server command takes. */
export const OUTPUT_OPTIONS = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

export const OUTPUT_HELP = `  --json              print JSON (for scripts) instead of text
  --quiet             print nothing but errors (and, for downloads and submissions, their result)
  -h, --help          show this help`;

/** The --help text of a server verb: `holdout <command> <synopsis>`, what it does, its options. */
export function verbUsage(command: string, synopsis: string, what: string, options = ''): string {
  return `Usage: holdout ${command} ${synopsis}

${what}

Options:
${options}${OUTPUT_HELP}
`;
}

/** A plain-text table: a header, then one line a row; numbers right-aligned. */
export function table(rows: ReadonlyArray<Record<string, unknown>>, columns: ReadonlyArray<[key: string, header: string]>): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => columns.map(([k]) => cell(r[k])));
  const widths = columns.map(([, h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const numeric = columns.map((_, i) => rows.every((r) => typeof r[columns[i]![0]] === 'number' || r[columns[i]![0]] == null));
  const line = (values: string[]) => values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(columns.map(([, h]) => h)), ...cells.map(line)].join('\n')}\n`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** `3.2 MB` */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
