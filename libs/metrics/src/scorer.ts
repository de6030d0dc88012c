// The scorer alone, for `holdout score`: importing the whole package (leaderboard ranking and all)
// costs a short-lived process more start-up time than it needs.
export { scoreSubmission, type CsvSource, type MetricName, type ScoreOptions, type ScoreResult, type SplitScore } from './score.js';
export { ScoringError, type ScoringErrorCode } from './errors.js';
export type { RleOrder } from './rle.js';
