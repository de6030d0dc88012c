// Models in the rush (issue 17, with the model submissions of issue 13): the fixture competition
// with a model pipeline declared, the small ONNX models a few students submit (built in code by
// @holdout/inference/testing, as e2e/src/platform/models.int-spec.ts does), what each must score,
// and the model check: every model submission ran to one end, with its runs closed and its team
// told once.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { constantModel, identityModel, nanModel } from '@holdout/inference/testing';
import { scoreSubmission } from '@holdout/metrics/scorer';

const DAY = 86_400_000;

/**
 * The pipeline of the competition (libs/competition's `model:` as parsed): the fixture's 4×4
 * images read whole as one window, RGB in 0..1, probabilities thresholded at 0.4. Runs take a
 * fraction of a second: the rush still fits on two cores.
 */
export const MODEL_SETTINGS = {
  format: 'onnx',
  input: { channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
  output: { kind: 'probabilities', channels: 1 },
  views: [{ window: 4, size: 4, stride: 4 }],
  blend: 'count',
  tta: ['identity'],
  threshold: 0.4,
  tissue: { minTissue: 0 },
  maxSizeBytes: 1024 * 1024,
  timeLimitSeconds: 60,
};

/**
 * The test images, white where the fixture's truth is foreground (column-major runs of a 4×4
 * image: "1 8" = columns 0 and 1, "5 4" = column 1): the identity model ("probability =
 * brightness") predicts the truth exactly.
 */
const IMAGES = { p1: [0, 1], p2: [1], q1: [0, 1], q2: [] };

/**
 * The models students submit, how often, and what each predicts on every test image (the
 * predictions the scorer is then given): the identity model the truth, a constant 1 everything,
 * a constant 0 nothing; a model whose output is NaN fails as the team's own exception (charged).
 */
export const MODEL_VARIANTS = [
  { name: 'identity', share: 0.5, bytes: identityModel({ channels: 3 }), predicts: brightRuns },
  { name: 'all-foreground', share: 0.2, bytes: constantModel(1, { channels: 3 }), predicts: () => '1 16' },
  { name: 'empty', share: 0.15, bytes: constantModel(0, { channels: 3 }), predicts: () => '' },
  { name: 'nan', share: 0.15, bytes: nanModel({ channels: 3 }), fails: { errorClass: 'exception', errorCode: 'model_output' } },
];

/** The image's white pixels as one column-major run (its columns are adjacent): what "probability = brightness" predicts. */
function brightRuns(columns) {
  return columns.length ? `${columns[0] * 4 + 1} ${columns.length * 4}` : '';
}

/** A model chosen by the variants' shares. */
export function pickModel() {
  let x = Math.random();
  for (const v of MODEL_VARIANTS) if ((x -= v.share) < 0) return v;
  return MODEL_VARIANTS[0];
}

/** The fixture bundle taking prediction files and models, its four test images real 4×4 PNGs among the hidden data. */
export function modelBundles(fixture, { daily }) {
  return new (class extends fixture.FixtureBundles {
    async load() {
      const base = await super.load('fixture');
      return { ...base, bundleDir: '/fixture/models', submissionKinds: ['file', 'model'], config: { ...base.config, submissions: { kinds: ['file', 'model'] }, model: MODEL_SETTINGS } };
    }
    async build(bundleDir, dataRoot) {
      const built = await super.build(bundleDir, dataRoot);
      const hidden = join(built.dataDir, 'hidden', 'test');
      await mkdir(hidden, { recursive: true });
      for (const [id, columns] of Object.entries(IMAGES)) {
        const px = Buffer.alloc(4 * 4 * 3);
        for (let y = 0; y < 4; y++) for (const x of columns) px.fill(255, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
        await sharp(px, { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(join(hidden, `${id}.png`));
      }
      return built;
    }
  })(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: daily }));
}

/**
 * What each variant must end as: the scores the scorer gives its predictions against the
 * competition's solution (computed here, apart from the worker's pipeline), or its failure.
 */
export async function expectations(ds, competitionId) {
  const [{ path }] = await ds.query('SELECT v.path FROM solution_versions v JOIN competitions c ON c.current_solution_version_id = v.id WHERE c.id = $1', [competitionId]);
  const solution = await readFile(path);
  const out = new Map();
  for (const v of MODEL_VARIANTS) {
    if (v.fails) {
      out.set(v.name, { fails: v.fails });
      continue;
    }
    const csv = `id,predicted\n${Object.entries(IMAGES).map(([id, columns]) => `${id},${v.predicts(columns)}`).join('\n')}\n`;
    const r = await scoreSubmission({ metric: 'dice', rleOrder: 'column', solution, submission: new TextEncoder().encode(csv) });
    out.set(v.name, { publicScore: r.public.score, privateScore: r.private.score });
  }
  return out;
}

/**
 * Every model submission ran to one end: no run left open, at most one run that succeeded (one
 * exactly when scored), and its team told once (one model-finished or model-failed notification).
 */
export async function modelCheck(ds, competitionId, slug) {
  const rows = await ds.query(
    `SELECT s.id, s.status, s.error_class, s.error_code, s.late, s.attempts,
            (SELECT count(*) FROM model_runs r WHERE r.submission_id = s.id)::int AS runs,
            (SELECT count(*) FROM model_runs r WHERE r.submission_id = s.id AND r.outcome IS NULL)::int AS open_runs,
            (SELECT count(*) FROM model_runs r WHERE r.submission_id = s.id AND r.outcome = 'succeeded')::int AS succeeded,
            (SELECT count(*) FROM model_runs r WHERE r.submission_id = s.id AND r.outcome = 'lost')::int AS lost,
            (SELECT count(*) FROM notifications n WHERE n.link = $2 || s.id AND n.kind IN ('model-finished', 'model-failed'))::int AS told
       FROM submissions s WHERE s.competition_id = $1 AND s.kind = 'model'`,
    [competitionId, `/competitions/${slug}/submissions/`],
  );
  const finished = rows.filter((r) => r.status === 'scored' || r.status === 'failed');
  const openRuns = rows.filter((r) => r.open_runs > 0).map((r) => r.id);
  const succeededTwice = rows.filter((r) => r.succeeded > 1).map((r) => r.id);
  const scoredWithoutRun = rows.filter((r) => r.status === 'scored' && r.succeeded !== 1).map((r) => r.id);
  const untold = finished.filter((r) => r.told === 0).map((r) => ({ id: r.id, status: r.status, class: r.error_class, code: r.error_code, lostRuns: r.lost }));
  const toldTwice = finished.filter((r) => r.told > 1).map((r) => ({ id: r.id, told: r.told }));
  return {
    pass: openRuns.length === 0 && succeededTwice.length === 0 && scoredWithoutRun.length === 0 && untold.length === 0 && toldTwice.length === 0,
    submissions: rows.length,
    runs: rows.reduce((n, r) => n + r.runs, 0),
    runsLost: rows.reduce((n, r) => n + r.lost, 0),
    ranAgain: rows.filter((r) => r.runs > 1).length,
    openRuns,
    succeededTwice,
    scoredWithoutRun,
    untold: untold.slice(0, 8),
    untoldCount: untold.length,
    toldTwice: toldTwice.slice(0, 8),
  };
}
