import type { DataSource } from 'typeorm';
import { sha256File } from './artifact-store.js';
import { dataScaleOf, type CompetitionData, type HostCompetitionData } from './competition-data.js';
import { Competition } from './entities/competition.entity.js';
import { SolutionVersion } from './entities/solution-version.entity.js';

/**
 * Builds (or finds cached) the competition's data and records solution version 1. Idempotent:
 * a second run finds the version and only refreshes the data location. With `host` (a worker), an
 * uploaded bundle this host lacks is fetched from the store first, and with a remote store the
 * downloadable files are put there before the data is marked ready (API hosts serve them from it).
 */
export async function provisionCompetitionData(
  ds: DataSource,
  bundles: CompetitionData,
  competitionId: string,
  dataRoot: string,
  o: { host?: HostCompetitionData } = {},
): Promise<void> {
  const c = await ds.getRepository(Competition).findOneOrFail({ where: { id: competitionId } });
  if (c.dataStatus === 'ready' && c.currentSolutionVersionId) return;
  try {
    // At the scale chosen when the competition was created, whichever process builds it.
    const built = await bundles.build(o.host ? await o.host.bundleDirOf(c) : c.bundleDir, dataRoot, dataScaleOf(c.config));
    const checksum = await sha256File(built.solutionPath);
    await o.host?.publish(competitionId, built.publicDir);
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
