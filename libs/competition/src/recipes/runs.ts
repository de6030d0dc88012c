// Run lists built analytically (per column or per row), so full-scale masks are never rasterised.

/** 1-based starts and lengths of an RLE, sorted, not overlapping. */
export interface Runs {
  starts: number[];
  lengths: number[];
}

/**
 * Turns intervals along the RLE's scan lines into runs. `line` is the column (column order) or
 * row (row order) index, `from`..`to` inclusive positions along it, `lineLength` the number of
 * pixels per line. Adjacent intervals are merged; input need not be sorted.
 */
export function intervalsToRuns(
  intervals: ReadonlyArray<{ line: number; from: number; to: number }>,
  lineLength: number,
): Runs {
  const sorted = [...intervals].sort((a, b) => a.line - b.line || a.from - b.from);
  const starts: number[] = [];
  const lengths: number[] = [];
  let lastEnd = -2; // 0-based index of the last pixel of the previous run
  for (const { line, from, to } of sorted) {
    const start = line * lineLength + from;
    const end = line * lineLength + to;
    if (start <= lastEnd + 1 && starts.length > 0) {
      const i = starts.length - 1;
      if (end > lastEnd) {
        lengths[i] = end - (starts[i]! - 1) + 1;
        lastEnd = end;
      }
      continue;
    }
    starts.push(start + 1);
    lengths.push(end - start + 1);
    lastEnd = end;
  }
  return { starts, lengths };
}
