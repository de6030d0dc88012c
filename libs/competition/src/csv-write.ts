// Minimal CSV writing for generated files: our fields are ids, numbers, RLE strings and a few
// known labels, so quoting is only needed defensively (RFC 4180 rules).

function field(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV document, `\n` line endings, trailing newline. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const lines = [header.map(field).join(',')];
  for (const row of rows) lines.push(row.map(field).join(','));
  return `${lines.join('\n')}\n`;
}
