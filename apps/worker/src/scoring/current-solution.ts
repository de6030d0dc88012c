import { SolutionVersion } from '@holdout/db';
import type { DataSource } from 'typeorm';

/**
 * The competition's solution version current now, not when a run started hours ago: a rescore
 * issued meanwhile would otherwise be left to the reconciler's catch-up.
 */
export async function currentSolution(ds: DataSource, c: { id: string; slug: string }): Promise<SolutionVersion> {
  const [current] = (await ds.query('SELECT current_solution_version_id AS v FROM competitions WHERE id = $1', [c.id])) as { v: string | null }[];
  if (!current?.v) throw new Error(`competition ${c.slug} has no solution version`);
  return ds.getRepository(SolutionVersion).findOneOrFail({ where: { id: current.v } });
}
