// Public surface of @holdout/competition: competition.yaml (schema v1) and its loader, the data of a
// competition (building it from a recipe, where it lies, validating data-as-files bundles), and
// helpers for solutions and submissions.
export * from './errors.js';
export * from './schema.js';
export { parseDuration, parseByteSize, parseTimePoint, resolveTimePoint, type TimePoint } from './units.js';
export * from './loader.js';
export * from './data/paths.js';
export * from './data/build.js';
export * from './data/validate.js';
export * from './data/test-images.js';
export { parseCsvText, readCsvFile, type CsvTable } from './csv-read.js';
export { toCsv } from './csv-write.js';
export { RECIPE_GENERATORS } from './recipes/index.js';
export type { RecipeGenerator, RecipeContext } from './recipes/types.js';
export { scriptToNotebook, notebookText, notebookCode, type Notebook } from './notebook.js';
export * from './submission.js';
export * from './kernel-fit.js';
export { BUNDLE_LIMITS, DEFAULT_MAX_IMAGE_PIXELS, bundleFileLimit, maxImagePixelsOf, formatBytes } from './upload/limits.js';
export { unpackBundleArchive, packBundleArchive } from './upload/archive.js';
export { inspectBundleArchive, type BundleCheckProgress, type InspectedBundle } from './upload/inspect.js';
export { readImageHeader, type ImageHeader } from './upload/image-header.js';
