// Test support shared by the api and worker test suites (`@holdout/api/testing`).
export * from './harness.js';
export * from './fixture-bundles.js';
export * from './hostile-files.js';
export { LibCompetitionBundles } from '../modules/competitions/lib-bundles.js';
export type { BundleCompetition } from '../modules/competitions/bundles.js';
