// Public surface of @holdout/metrics. Scoring modules are exported by the scoring-engine owner;
// ranking.ts (leaderboards, final selection, shake-up statistics) by the leaderboard-rules owner.
export * from './ranking.js';
export * from './rle.js';
export * from './errors.js';
