import type { DataSource } from 'typeorm';
import { sha256File } from './artifact-store.js';
import { dataScaleOf, type CompetitionData } from './competition-data.js';
import { Competition } from './entities/competition.entity.js';
import { SolutionVersion } from './entities/solution-version.entity.js';


/**
 * Builds (or finds cached) the competition's data and records solution version 1. Idempotent:
 * a second run finds the version and only refreshes the data location.
 */
export async function provisionCompetitionData(
  ds: DataSource,
  bundles: CompetitionData,
  competitionId: string,
  dataRoot: string,
  /** Where this host has the bundle, when not at the recorded `bundleDir` (HostCompetitionData.bundleDirOf). */
  o: { bundleDir?: (c: Competition) => Promise<string> } = {},
): Promise<void> {
  const c = await ds.getRepository(Competition).findOneOrFail({ where: { id: competitionId } });
  if (c.dataStatus === 'ready' && c.currentSolutionVersionId) return;
  try {
    // At the scale chosen when the competition was created, whichever process builds it.
    const built = await bundles.build(o.bundleDir ? await o.bundleDir(c) : c.bundleDir, dataRoot, dataScaleOf(c.config));
    const checksum = await sha256File(built.solutionPath);
    await ds.transaction(async (m) => {
      let v = await m.getRepository(SolutionVersion).findOne({ where: { competitionId, version: 1 } });
      v ??= await m.getRepository(SolutionVersion).save(m.getRepository(SolutionVersion).create({ competitionId, version: 1, path: built.solutionPath, checksum, note: 'from the bundle', createdById: null }));
      await m.getRepository(Competition).update({ id: competitionId }, { dataDir: built.dataDir, publicDir: built.publicDir, dataStatus: 'ready', currentSolutionVersionId: c.currentSolutionVersionId ?? v.id });
    });
  } catch (err) {
    await ds.getRepository(Competition).update({ id: competitionId }, { dataStatus: 'failed' });
    throw err;
  }
}
