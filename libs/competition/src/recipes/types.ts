import type { z } from 'zod';
import type { CompetitionConfig, DataScale } from '../schema.js';

/** Progress of a build: `done` of `total` units (rows of slides, images …) in the current step. */
export interface BuildProgress {
  /** What is being generated, e.g. `train slides` or `test images`. */
  step: string;
  done: number;
  total: number;
}

export interface RecipeContext<P> {
  config: CompetitionConfig;
  params: P;
  scale: DataScale;
  seed: number;
  /** Empty directories to fill; layout as in ARCHITECTURE.md. */
  publicDir: string;
  hiddenDir: string;
  /** Scratch space on the same file system, removed after the build. */
  tmpDir: string;
  onProgress: (progress: BuildProgress) => void;
}

/**
 * A deterministic data generator a bundle can name in `data.recipe.generator`. The same
 * (params, scale, seed) must produce byte-identical files; bump `version` whenever the output
 * changes, so cached builds are not reused.
 */
export interface RecipeGenerator<P = unknown> {
  name: string;
  version: number;
  /** Validates `data.recipe.params`. */
  paramsSchema: z.ZodType<P>;
  generate(context: RecipeContext<P>): Promise<void>;
}
