import { SolutionVersion, type ArtifactFiles, type Competition, type HostCompetitionData } from '@holdout/db';
import type { DataSource } from 'typeorm';
import type { ScoreOutcome, ScorerPool } from './scorer-pool.js';

/**
 * The competition's solution version current now, not when a run started hours ago: a rescore
 * issued meanwhile would otherwise be left to the reconciler's catch-up.
 */
export async function currentSolution(ds: DataSource, c: { id: string; slug: string }): Promise<SolutionVersion> {
  const [current] = (await ds.query('SELECT current_solution_version_id AS v FROM competitions WHERE id = $1', [c.id])) as { v: string | null }[];
  if (!current?.v) throw new Error(`competition ${c.slug} has no solution version`);
  return ds.getRepository(SolutionVersion).findOneOrFail({ where: { id: current.v } });
}

/**
 * Scores the stored submission file `key` against `version` of the competition's solution, both
 * read as files on this host (through the cache with a remote store) and held while it scores.
 */
export function scoreStored(
  on: { files: ArtifactFiles; data: HostCompetitionData; pool: ScorerPool },
  c: Competition,
  version: SolutionVersion,
  key: string,
  extra: { delayMs?: number } = {},
): Promise<ScoreOutcome> {
  return on.files.withFile(key, (submissionPath) =>
    on.data.withSolution(c, version, (solutionPath) => on.pool.score({ metric: c.metric, rleOrder: c.rleOrder, solutionPath, submissionPath, ...extra })),
  );
}
