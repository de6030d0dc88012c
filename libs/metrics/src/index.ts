// Public surface of @holdout/metrics. Scoring modules are exported by the scoring-engine owner;
// ranking.ts (leaderboards, final selection, shake-up statistics) by the leaderboard-rules owner.
export * from './ranking.js';
export * from './rle.js';
export * from './errors.js';
export * from './metrics.js';
export * from './bootstrap.js';
export * from './score.js';
export { CsvReader, MAX_FIELD_BYTES, type CsvHandler, type FieldSink } from './csv.js';
