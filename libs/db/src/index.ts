// The platform's shared state, used by the API and the worker alike: configuration and logging,
// the database (entities, data source, migrations), the submission lifecycle, queue jobs and
// pub/sub channels, the artifact store, and building a competition's data. Nothing here starts
// anything; test support is `@holdout/db/testing`.
export * from './config/config.js';
export { loadConfigOrExit } from './config/load-or-exit.js';
export * from './config/repo-root.js';
export * from './logger.js';
export * from './data-source.js';
export { ENTITIES } from './entities.js';
export * from './entities/api-token.entity.js';
export * from './entities/audit-event.entity.js';
export * from './entities/competition.entity.js';
export * from './entities/course.entity.js';
export * from './entities/course-roster-entry.entity.js';
export * from './entities/kernel-policy.entity.js';
export * from './entities/kernel-run.entity.js';
export * from './entities/kernel-submission.entity.js';
export * from './entities/membership.entity.js';
export * from './entities/model-run.entity.js';
export * from './entities/score-record.entity.js';
export * from './entities/session.entity.js';
export * from './entities/solution-version.entity.js';
export * from './entities/submission.entity.js';
export * from './entities/team-member.entity.js';
export * from './entities/team-invite.entity.js';
export * from './entities/team.entity.js';
export * from './entities/user.entity.js';
export * from './entities/notification.entity.js';
export * from './notifier.js';
export * from './channels.js';
export * from './kernel-channels.js';
export * from './jobs.js';
export * from './rules-sql.js';
export * from './lifecycle.js';
export * from './artifact-store.js';
// Types only: the S3 store (and the AWS SDK) loads when createArtifactStore asks for it.
export type { S3ArtifactStoreOptions } from './artifact-store-s3.js';
export * from './competition-data.js';
export * from './provision.js';
export * from './artifact-cache.js';
export * from './artifact-files.js';
