// Leaderboard rules as plain functions: public and private boards, final selection, shake-up
// statistics, selection and quota limits. Pure: no I/O, no clock, nothing outside the standard library.
export { RankingInputError, type RankingInputErrorCode } from './ranking/errors.js';
export * from './ranking/leaderboard.js';
export * from './ranking/shakeup.js';
export * from './ranking/limits.js';
