import type { ScoreOptions } from '@holdout/metrics';
import { readCsvFile, type CsvTable } from './csv-read.js';
import { toCsv } from './csv-write.js';
import type { CompetitionDataPaths, KernelMount } from './data/paths.js';
import { kernelInputMounts } from './data/paths.js';
import type { CompetitionConfig, KernelConfig, SubmissionKind } from './schema.js';

// Rules that connect a competition's config and data to submissions: which kinds are accepted,
// how a file is scored, what a kernel run gets, and which test images are in which split.

/** Why a submission is refused before it is stored (not charged to the daily quota). */
export type SubmissionRefusal = {
  code: 'SUBMISSION_KIND_NOT_ALLOWED';
  message: string;
};

/** Checks that the competition accepts this kind of submission; null when it does. */
export function refuseSubmissionKind(config: Pick<CompetitionConfig, 'submissions' | 'title'>, kind: SubmissionKind): SubmissionRefusal | null {
  if ((config.submissions.kinds as readonly SubmissionKind[]).includes(kind)) return null;
  const allowed = config.submissions.kinds.map((k) => `${k}s`).join(' and ');
  const kinds = config.submissions.kinds as readonly SubmissionKind[];
  const code = [kinds.includes('kernel') ? 'a notebook or script that writes submission.csv' : null, kinds.includes('model') ? 'an ONNX model that the platform runs' : null].filter(Boolean).join(', or ');
  const hint = kind === 'file' && code ? ` It is a code competition: submit ${code}.` : '';
  return {
    code: 'SUBMISSION_KIND_NOT_ALLOWED',
    message: `"${config.title}" accepts ${allowed} only, not ${kind}s.${hint}`,
  };
}

/** Options for `@holdout/metrics`' `scoreSubmission`, minus the submission itself. */
export function scoringOptions(
  config: Pick<CompetitionConfig, 'metric'>,
  paths: Pick<CompetitionDataPaths, 'solutionCsv'>,
): Omit<ScoreOptions, 'submission'> {
  return { metric: config.metric.name, rleOrder: config.metric.rleOrder, solution: paths.solutionCsv };
}

/** Everything a kernel runner needs from the competition for one run. */
export interface KernelRunSettings extends KernelConfig {
  /** Read-only mounts giving Kaggle's `/kaggle/input/<slug>/` (never the solution). */
  mounts: KernelMount[];
  /** The writable directory and the file collected from it. */
  workingDir: '/kaggle/working';
  outputFile: '/kaggle/working/submission.csv';
}

/** Kernel settings of a competition with its data mounts; null when kernels are not accepted. */
export function kernelRunSettings(
  slug: string,
  config: Pick<CompetitionConfig, 'kernel' | 'submissions'>,
  paths: CompetitionDataPaths,
): KernelRunSettings | null {
  if (!config.kernel || !config.submissions.kinds.includes('kernel')) return null;
  return {
    ...config.kernel,
    mounts: kernelInputMounts(slug, paths),
    workingDir: '/kaggle/working',
    outputFile: '/kaggle/working/submission.csv',
  };
}

/**
 * The `sample_submission.csv` of a kernel's run on the hidden test set, as Kaggle swaps it in:
 * the public sample's columns, one row per test image the run sees (`testIds`, sorted), each
 * with the public sample's first prediction (empty in the bundled competitions). It holds ids
 * only, never truth; a kernel that starts from the sample file then covers every test image.
 */
export function hiddenRunSampleSubmission(publicSample: CsvTable, testIds: readonly string[]): string {
  const columns = publicSample.columns.length > 0 ? publicSample.columns : ['id', 'predicted'];
  const first = publicSample.rows[0]?.values ?? {};
  const rows = [...testIds].sort().map((id) => columns.map((c) => (c === 'id' ? id : (first[c] ?? ''))));
  return toCsv(columns, rows);
}

/**
 * A bundle's pages as a competition created under `slug` shows them: the bundle's own input path
 * `/kaggle/input/<bundleSlug>` names the competition's slug, where its data is mounted.
 */
export function pagesForSlug<T extends Record<string, string>>(pages: T, o: { bundleSlug: string; slug: string }): T {
  if (o.bundleSlug === o.slug) return pages;
  const path = new RegExp(`/kaggle/input/${o.bundleSlug}(?![a-z0-9-])`, 'g'); // slugs are [a-z0-9-]
  return Object.fromEntries(Object.entries(pages).map(([k, text]) => [k, text.replace(path, `/kaggle/input/${o.slug}`)])) as T;
}

/** The split of each test image, from the solution's `Usage` column (absent = all public). */
export interface SolutionSplits {
  usage: Map<string, 'Public' | 'Private'>;
  publicImages: number;
  privateImages: number;
}

/**
 * Reads which test image is public and which private. Throws the scorer's `ScoringError` for a
 * malformed file and an Error naming the row for an unknown or inconsistent `Usage`.
 */
export async function readSolutionSplits(solutionCsv: string): Promise<SolutionSplits> {
  const table = await readCsvFile(solutionCsv, 'solution');
  const usage = new Map<string, 'Public' | 'Private'>();
  const hasUsage = table.columns.includes('Usage');
  for (const { row, values } of table.rows) {
    const value = hasUsage ? values.Usage : 'Public';
    if (value !== 'Public' && value !== 'Private') throw new Error(`solution: row ${row}: Usage must be Public or Private (got "${value}")`);
    const seen = usage.get(values.id!);
    if (seen && seen !== value) throw new Error(`solution: row ${row}: image "${values.id}" is both ${seen} and ${value}`);
    usage.set(values.id!, value);
  }
  let publicImages = 0;
  for (const value of usage.values()) if (value === 'Public') publicImages++;
  return { usage, publicImages, privateImages: usage.size - publicImages };
}

/**
 * Whether a viewer sees a submission's per-image public scores: staff always; participants
 * after the reveal, or before it where the competition discloses them (`feedback.perImagePublic`,
 * off by default: they name the public test images).
 */
export function perImageFeedbackVisible(o: { staff: boolean; revealed: boolean; config: Record<string, unknown> }): boolean {
  return o.staff || o.revealed || perImagePublicOf(o.config);
}

/** `feedback.perImagePublic` of a stored competition config (absent: false, the default). */
export function perImagePublicOf(config: Record<string, unknown>): boolean {
  return (config.feedback as { perImagePublic?: unknown } | undefined)?.perImagePublic === true;
}
