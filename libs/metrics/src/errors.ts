/**
 * Why the scorer rejected an input. Every code is the participant's (or the instructor's, for the
 * solution) doing: the worker stores the submission as failed without retrying or charging it.
 */
export type ScoringErrorCode =
  | 'INVALID_TOKEN' // an RLE token is not a non-negative integer
  | 'ODD_TOKEN_COUNT' // an RLE string has an odd number of tokens
  | 'NON_POSITIVE_RUN' // a run start or length is 0 or negative
  | 'UNSORTED_RUNS' // a run starts before the previous one
  | 'OVERLAPPING_RUNS' // a run starts inside the previous one
  | 'RUN_OUT_OF_IMAGE' // a run ends past the image's last pixel
  | 'UNKNOWN_IMAGE_ID' // submission names an image the solution does not have
  | 'MISSING_IMAGE_ID' // an image of the solution has no submission row
  | 'DUPLICATE_IMAGE_ID' // an image appears twice where one row per image is required
  | 'OVERLAPPING_INSTANCES' // two predicted instances of one image share a pixel
  | 'BAD_HEADER' // missing, duplicated or unexpected columns, or an empty file
  | 'MALFORMED_CSV' // quoting errors, wrong number of fields, stray carriage return
  | 'FIELD_TOO_LARGE' // a field longer than the 64 MiB limit
  | 'NOT_UTF8' // text that is not valid UTF-8 (e.g. a UTF-16 export)
  | 'BINARY_FILE' // NUL or other control bytes: not a CSV at all
  | 'INVALID_DIMENSIONS' // solution height/width not positive integers, or inconsistent per image
  | 'INVALID_USAGE' // solution Usage not Public/Private, or inconsistent per image
  | 'EMPTY_SOLUTION' // the solution has no images
  | 'UNREADABLE_FILE' // the file could not be opened or read
  | 'INVALID_OPTIONS'; // unknown metric or RLE order

/**
 * A rejected input. `row` is the CSV record number counting the header as row 1 (so it equals
 * the line number in an editor unless a quoted field spans lines), or null when no single row is
 * at fault. `message` names the file, the row, the image id and what is wrong, in words a
 * student can act on.
 */
export class ScoringError extends Error {
  override readonly name = 'ScoringError';
  constructor(
    readonly code: ScoringErrorCode,
    message: string,
    readonly row: number | null = null,
  ) {
    super(message);
  }

  /** The `{"error": {code, message, row}}` body of `holdout score` and the worker's failure record. */
  toJSON(): { code: ScoringErrorCode; message: string; row: number | null } {
    return { code: this.code, message: this.message, row: this.row };
  }
}
