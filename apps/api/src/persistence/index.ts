// Shared with the worker (`@holdout/api/persistence`): configuration, entities, data source,
// pub/sub channels and job names. Nothing here starts anything.
export * from '../config/config.js';
export { loadConfigOrExit } from '../config/load-or-exit.js';
export * from '../config/repo-root.js';
export * from './channels.js';
export * from './data-source.js';
export * from './entities.js';
export type { Interval } from '../modules/submissions/entities/submission.entity.js';
export { JsonLogger } from '../common/logger.js';
export { quotaDay, CHARGED_STATUSES_SQL } from '../modules/submissions/quota.js';
export { LocalArtifactStore, TooLargeError } from '../infra/artifact-store.js';
export { RESCORABLE_SQL, scoreJobOptions } from '../modules/submissions/scoring-jobs.js';
export { CompetitionBundles, type BuiltData, type BundleCompetition } from '../modules/competitions/bundles.js';
export { LibCompetitionBundles } from '../modules/competitions/lib-bundles.js';
export { provisionCompetitionData, sha256File } from '../modules/competitions/provision.js';
export * from '../modules/kernels/kernel-rules.js';
export * from '../modules/kernels/kernel-channels.js';
