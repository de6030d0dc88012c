import { join } from 'node:path';
import { buildCompetitionData, CompetitionBundleError, formatIssue, listBundledCompetitions, loadBundle, resolveTimeline } from '@holdout/competition';
import { DomainError } from '../../common/domain-error.js';
import type { BundleDto, SubmissionKind } from '@holdout/contracts';
import { inspectBundleInChild } from './bundle-inspector.js';
import { CompetitionBundles, type BuiltData, type BundleCompetition, type BundleUpload, type DataScale } from './bundles.js';

/** Bundles under `<repo>/competitions/`, loaded and built by libs/competition. */
export class LibCompetitionBundles extends CompetitionBundles {
  /**
   * @param defaultScale used when a build names no scale (competitions created before the scale
   * was recorded with them): `demo`, never the recipe's own `defaultScale` (Sartorius says `full`:
   * 600 + 240 images, minutes of CPU at start-up).
   */
  constructor(
    private readonly repoRoot: string,
    private readonly defaultScale: DataScale = 'demo',
  ) {
    super();
  }

  async list(): Promise<string[]> {
    return (await listBundledCompetitions(this.repoRoot)).map((b) => b.slug);
  }

  /** One pass over `competitions/` with libs/competition (no timelines to resolve). */
  override async describeAll(): Promise<BundleDto[]> {
    return (await listBundledCompetitions(this.repoRoot)).map((b) => ({
      slug: b.slug,
      title: b.config.title,
      description: b.config.description,
      metric: b.config.metric.name,
      submissionKinds: b.config.submissions.kinds as SubmissionKind[],
    }));
  }

  async load(bundle: string, now: Date): Promise<BundleCompetition> {
    let b;
    let t;
    try {
      b = await loadBundle(join(this.repoRoot, 'competitions', bundle));
      t = resolveTimeline(b.config.timeline, now);
    } catch (err) {
      if (err instanceof CompetitionBundleError) {
        throw new DomainError('bad_request', `invalid competition bundle: ${err.issues.map(formatIssue).join('; ')}`, err.issues);
      }
      throw err;
    }
    return {
      bundleDir: b.dir,
      title: b.config.title,
      metric: b.config.metric.name,
      rleOrder: b.config.metric.rleOrder,
      submissionKinds: b.config.submissions.kinds as SubmissionKind[],
      opensAt: t.opensAt,
      teamMergeDeadline: t.teamMergeDeadline,
      closesAt: t.closesAt,
      dailySubmissions: b.config.limits.dailySubmissions,
      finalSelections: b.config.limits.finalSelections,
      pages: { overview: b.pages.overview, data: b.pages.data, evaluation: b.pages.evaluation, rules: b.pages.rules },
      config: JSON.parse(JSON.stringify(b.config)) as Record<string, unknown>,
    };
  }

  /** Uploaded bundles are hostile input: they are unpacked and parsed in a child process. */
  async inspectUpload(upload: BundleUpload): Promise<BundleCompetition> {
    const b = await inspectBundleInChild(upload);
    return {
      bundleDir: b.dir,
      title: b.title,
      metric: b.metric,
      rleOrder: b.rleOrder,
      submissionKinds: b.submissionKinds as SubmissionKind[],
      opensAt: new Date(b.opensAt),
      teamMergeDeadline: new Date(b.teamMergeDeadline),
      closesAt: new Date(b.closesAt),
      dailySubmissions: b.dailySubmissions,
      finalSelections: b.finalSelections,
      pages: b.pages,
      config: b.config,
    };
  }

  async build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData> {
    const built = await buildCompetitionData({ bundleDir, dataDir: dataRoot, scale: scale ?? this.defaultScale });
    return { dataDir: built.paths.root, publicDir: built.paths.publicDir, solutionPath: built.paths.solutionCsv };
  }
}
