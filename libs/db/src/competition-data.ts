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
 * of a bundle. The API's bundle catalogue and the worker's BundleData implement it with
 * libs/competition; tests fake it.
 */
export abstract class CompetitionData {
  /**
   * Builds (or finds cached) the data of the bundle in `bundleDir` under the platform data root,
   * at `scale` for recipe bundles (default: the implementation's; data-as-files bundles have none).
   */
  abstract build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData>;
}
