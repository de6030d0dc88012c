import { buildCompetitionData } from '@holdout/competition';

/** How much data a recipe bundle generates: `demo` builds in seconds, `full` is the real competition's size. */
export type DataScale = 'demo' | 'full';

export interface BuiltData {
  /** Root of the built data. */
  dataDir: string;
  /** Downloadable files. */
  publicDir: string;
  solutionPath: string;
}

/**
 * Builds a competition's data from its bundle: what the worker (and the API at creation) needs
 * of a bundle. The API's bundle catalogue extends it; tests fake it.
 */
export abstract class CompetitionData {
  /**
   * Builds (or finds cached) the data of the bundle in `bundleDir` under the platform data root,
   * at `scale` for recipe bundles (default: the implementation's; data-as-files bundles have none).
   */
  abstract build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData>;
}

/** Builds with libs/competition. */
export async function buildBundleData(bundleDir: string, dataRoot: string, scale: DataScale): Promise<BuiltData> {
  const built = await buildCompetitionData({ bundleDir, dataDir: dataRoot, scale });
  return { dataDir: built.paths.root, publicDir: built.paths.publicDir, solutionPath: built.paths.solutionCsv };
}

/**
 * The bundles under `<repo>/competitions/`, as far as building their data goes (the worker's view).
 * @param defaultScale used when a build names no scale (competitions created before the scale
 * was recorded with them): `demo`, never the recipe's own `defaultScale` (Sartorius says `full`:
 * 600 + 240 images, minutes of CPU at start-up).
 */
export class BundleCompetitionData extends CompetitionData {
  constructor(private readonly defaultScale: DataScale = 'demo') {
    super();
  }

  build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData> {
    return buildBundleData(bundleDir, dataRoot, scale ?? this.defaultScale);
  }
}
