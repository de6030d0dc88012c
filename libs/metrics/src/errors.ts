/**
 * Why the scorer rejected an input. Every code is the participant's (or the instructor's, for the
 * solution) doing: the worker stores the submission as failed without retrying or charging it.
 */
export type ScoringErrorCode =
  | 'invalid_token' // an RLE token is not a non-negative integer
  | 'odd_token_count' // an RLE string has an odd number of tokens
  | 'non_positive_run' // a run start or length is 0 or negative
  | 'unsorted_runs' // a run starts before the previous one
  | 'overlapping_runs' // a run starts inside the previous one
  | 'run_out_of_image' // a run ends past the image's last pixel
  | 'unknown_image_id' // submission names an image the solution does not have
  | 'missing_image_id' // an image of the solution has no submission row
  | 'duplicate_image_id' // an image appears twice where one row per image is required
  | 'overlapping_instances' // two predicted instances of one image share a pixel
  | 'bad_header' // missing, duplicated or unexpected columns, or an empty file
  | 'malformed_csv' // quoting errors, wrong number of fields, stray carriage return
  | 'field_too_large' // a field longer than the 64 MiB limit
  | 'not_utf8' // text that is not valid UTF-8 (e.g. a UTF-16 export)
  | 'binary_file' // NUL or other control bytes: not a CSV at all
  | 'invalid_dimensions' // solution height/width not positive integers, or inconsistent per image
  | 'invalid_usage' // solution Usage not Public/Private, or inconsistent per image
  | 'empty_solution' // the solution has no images
  | 'unreadable_file' // the file could not be opened or read
  | 'invalid_options'; // unknown metric or RLE order

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
