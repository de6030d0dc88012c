import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompetitionBundles, type BuiltData, type BundleCompetition } from '../modules/competitions/bundles.js';

/**
 * A tiny Dice competition for tests: four 4×4 images, two public and two private.
 * Truth: p1 = "1 8", p2 = "5 4" (public); q1 = "1 8", q2 = empty (private).
 */
export const FIXTURE_SOLUTION = 'id,height,width,encoding,Usage\np1,4,4,1 8,Public\np2,4,4,5 4,Public\nq1,4,4,1 8,Private\nq2,4,4,,Private\n';

/** Dice of predicting "1 k" against the truth "1 8". */
export const diceOf = (k: number) => (2 * Math.min(k, 8)) / (k + 8);

/**
 * A valid submission whose public score is (dice(pub)+1)/2 and private score (dice(priv)+1)/2,
 * where pub/priv are run lengths predicted for p1 and q1 (8 = perfect).
 */
export function submissionCsv(pub = 8, priv = 8): string {
  return `id,predicted\np1,1 ${pub}\np2,5 4\nq1,1 ${priv}\nq2,\n`;
}
export const expectedScore = (n: number) => (diceOf(n) + 1) / 2;

/** Rejected by the scorer: runs out of order on row 2. */
export const INVALID_SUBMISSION = 'id,predicted\np1,3 1 1 1\np2,5 4\nq1,1 8\nq2,\n';

export interface FixtureTimeline {
  opensAt: Date;
  closesAt: Date;
  dailySubmissions?: number;
  finalSelections?: number;
  /** `feedback.perImagePublic` (the fixture shows per-image public scores unless told not to). */
  perImagePublic?: boolean;
}

/** Serves one bundle, `fixture`, with the timeline given; builds its data in a few files. */
export class FixtureBundles extends CompetitionBundles {
  constructor(private readonly timeline: () => FixtureTimeline) {
    super();
  }

  async list(): Promise<string[]> {
    return ['fixture'];
  }

  async load(bundle: string): Promise<BundleCompetition> {
    const t = this.timeline();
    return {
      bundleDir: `/fixture/${bundle}`,
      title: 'Fixture segmentation',
      metric: 'dice',
      rleOrder: 'column',
      submissionKinds: ['file'],
      opensAt: t.opensAt,
      teamMergeDeadline: null,
      closesAt: t.closesAt,
      dailySubmissions: t.dailySubmissions ?? 5,
      finalSelections: t.finalSelections ?? 2,
      pages: { overview: '# Fixture', data: 'data', evaluation: 'Dice', rules: 'Be nice.' },
      config: { fixture: true, feedback: { perImagePublic: t.perImagePublic ?? true } },
    };
  }

  async inspectUpload(): Promise<BundleCompetition> {
    return this.load('fixture');
  }

  async build(_bundleDir: string, dataRoot: string): Promise<BuiltData> {
    const root = join(dataRoot, 'competitions', 'fixture', 'v1');
    await mkdir(join(root, 'public', 'test'), { recursive: true });
    await mkdir(join(root, 'hidden'), { recursive: true });
    await writeFile(join(root, 'public', 'train.csv'), 'id,encoding\nt1,1 3\n');
    await writeFile(join(root, 'public', 'sample_submission.csv'), 'id,predicted\np1,\np2,\nq1,\nq2,\n');
    await writeFile(join(root, 'public', 'test', 'p1.png'), Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251)));
    await writeFile(join(root, 'hidden', 'solution.csv'), FIXTURE_SOLUTION);
    return { dataDir: root, publicDir: join(root, 'public'), solutionPath: join(root, 'hidden', 'solution.csv') };
  }
}
