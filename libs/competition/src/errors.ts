/** One problem found in a bundle: which file, which field or row, and what is wrong. */
export interface BundleIssue {
  /** The file the problem is in, relative to the bundle directory (e.g. `competition.yaml`). */
  file: string;
  /** Dotted field path inside a YAML file (e.g. `kernel.timeLimit`); absent for whole-file problems. */
  field?: string;
  /** Row of a CSV file counting the header as row 1 (the line number, as the scorer reports it). */
  row?: number;
  message: string;
}

/** Formats an issue as one line a person can act on: `competition.yaml: kernel.timeLimit: …`. */
export function formatIssue(issue: BundleIssue): string {
  const where = [issue.file];
  if (issue.field) where.push(issue.field);
  if (issue.row !== undefined) where.push(`row ${issue.row}`);
  return `${where.join(': ')}: ${issue.message}`;
}

/**
 * Thrown by the loader and the data validator when a bundle is unusable. `issues` lists every
 * problem found (not only the first), each naming its file and field or row.
 */
export class CompetitionBundleError extends Error {
  override readonly name = 'CompetitionBundleError';
  constructor(
    /** The bundle directory (or data directory) that was checked. */
    readonly location: string,
    readonly issues: BundleIssue[],
  ) {
    super(`invalid competition bundle ${location}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
  }
}
