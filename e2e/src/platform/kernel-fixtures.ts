import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleCompetition, TestEnv } from '@holdout/api/testing';
import type { BuiltData } from '@holdout/db';
import { eventually, FixtureBundles } from '@holdout/api/testing';
import type { KernelRunSpec, RunResult } from '@holdout/sandbox';
import type { SubmissionKind } from '@holdout/contracts';

/** Kernel settings as stored in a competition's config (`kernel:` of competition.yaml, units parsed). */
export interface TestKernelSettings {
  image?: string;
  timeLimitSeconds?: number;
  gpus?: number;
  memoryBytes?: number;
  cpus?: number;
  outputLimitBytes?: number;
  showHiddenDataLogs?: boolean;
  processes?: number;
  publicRunsPerDay?: number;
  /** Submission kinds the competition accepts (default: kernel only). */
  kinds?: SubmissionKind[];
  /** Ids the public sample_submission.csv lists, as in a kernel-only competition that publishes a few samples (default: every test image). */
  publicSampleIds?: string[];
}

const DAY = 86_400_000;

/**
 * The fixture competition as a kernel-only one: its four test images lie in `hidden/test/` (the
 * kernel sees them at `/kaggle/input/<slug>/test/`), `public/test/` keeps one sample. Kernel
 * settings per bundle name: `load('gpu')` gives a competition whose kernels ask for a GPU.
 */
export class KernelFixtureBundles extends FixtureBundles {
  constructor(private readonly settings: Record<string, TestKernelSettings>) {
    super(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 100 }));
  }

  override async list(): Promise<string[]> {
    return Object.keys(this.settings);
  }

  override async load(bundle: string): Promise<BundleCompetition> {
    const base = await super.load('fixture');
    const k = this.settings[bundle] ?? {};
    return {
      ...base,
      bundleDir: `/fixture/${bundle}`,
      submissionKinds: k.kinds ?? ['kernel'],
      config: {
        submissions: { kinds: k.kinds ?? ['kernel'] },
        kernel: {
          image: k.image ?? process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim',
          timeLimitSeconds: k.timeLimitSeconds ?? 60,
          gpus: k.gpus ?? 0,
          memoryBytes: k.memoryBytes ?? 512 * 1024 * 1024,
          cpus: k.cpus ?? 1,
          outputLimitBytes: k.outputLimitBytes ?? 16 * 1024 * 1024,
          showHiddenDataLogs: k.showHiddenDataLogs ?? false,
          processes: k.processes ?? 256,
          ...(k.publicRunsPerDay ? { publicRunsPerDay: k.publicRunsPerDay } : {}),
        },
      },
    };
  }

  override async build(bundleDir: string, dataRoot: string): Promise<BuiltData> {
    let built = await super.build(bundleDir, dataRoot);
    const hidden = join(built.dataDir, 'hidden', 'test');
    await mkdir(hidden, { recursive: true });
    for (const id of ['p1', 'p2', 'q1', 'q2']) await writeFile(join(hidden, `${id}.png`), Buffer.from(id));
    const name = bundleDir.split('/').pop()!;
    const sampleIds = this.settings[name]?.publicSampleIds;
    if (sampleIds) {
      // Its own copy: every fixture competition shares the base build's directory.
      const own = join(dataRoot, 'competitions', `fixture-${name}`, 'v1');
      await cp(built.dataDir, own, { recursive: true });
      built = { dataDir: own, publicDir: join(own, 'public'), solutionPath: join(own, 'hidden', 'solution.csv') };
      await writeFile(join(built.publicDir, 'sample_submission.csv'), `id,predicted\n${sampleIds.map((id) => `${id},\n`).join('')}`);
    }
    return built;
  }
}

/** A notebook (nbformat 4) of code cells. */
export function notebook(...cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: cells.map((source) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source })),
  });
}

/**
 * What a stand-in sandbox (these machines have no GPU) reports for a run that left
 * `working/submission.csv` and `kernel.log` in its output folder, as the Docker runner would.
 */
export function standInSucceeded(spec: KernelRunSpec, o: { durationMs: number; imageDigest: string }): RunResult {
  return {
    runId: spec.runId,
    outcome: 'succeeded',
    exitCode: 0,
    durationMs: o.durationMs,
    peakMemoryBytes: null,
    logTail: 'ok',
    logTruncated: false,
    logBytesSeen: 3,
    logPath: join(spec.outputDir, 'kernel.log'),
    submissionPath: join(spec.outputDir, 'working', 'submission.csv'),
    imageDigest: o.imageDigest,
    message: null,
  };
}

/** The submission row once it has ended (scored, failed or cancelled). */
export function finishedSubmission(env: TestEnv, id: string, timeoutMs = 240_000): Promise<Record<string, any>> {
  return eventually(
    async () => {
      const [r] = (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id])) as Record<string, any>[];
      return r && ['scored', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
    },
    { timeoutMs, everyMs: 250, what: `submission ${id} to finish` },
  );
}
