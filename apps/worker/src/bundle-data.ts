import { buildCompetitionData } from '@holdout/competition';
import { CompetitionData, type BuiltData, type DataScale } from '@holdout/db';

/**
 * The bundles under `<repo>/competitions/`, as far as building their data goes (the worker's
 * view; libs/competition builds).
 * @param defaultScale used when a build names no scale (competitions created before the scale
 * was recorded with them): `demo`, never the recipe's own `defaultScale` (Sartorius says `full`:
 * 600 + 240 images, minutes of CPU at start-up).
 */
export class BundleData extends CompetitionData {
  constructor(private readonly defaultScale: DataScale = 'demo') {
    super();
  }

  async build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData> {
    const built = await buildCompetitionData({ bundleDir, dataDir: dataRoot, scale: scale ?? this.defaultScale });
    return { dataDir: built.paths.root, publicDir: built.paths.publicDir, solutionPath: built.paths.solutionCsv };
  }
}
