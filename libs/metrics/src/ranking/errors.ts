/** Why ranking input was rejected. The API maps these to a 500 (they are programming errors, not a student's). */
export type RankingInputErrorCode =
  | 'invalid-date'
  | 'duplicate-submission'
  | 'duplicate-team'
  | 'invalid-limit'
  | 'selection-over-limit'
  | 'invalid-rank'
  | 'invalid-precision'
  | 'invalid-score';

/** Thrown by the ranking rules when their input breaks a documented precondition. */
export class RankingInputError extends Error {
  override readonly name = 'RankingInputError';
  constructor(
    readonly code: RankingInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Milliseconds since the epoch of a `Date` or an ISO 8601 string; throws on anything unparseable. */
export function toEpochMs(value: Date | string, what: string): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new RankingInputError('invalid-date', `${what}: ${JSON.stringify(String(value))} is not a valid date`);
  }
  return ms;
}
