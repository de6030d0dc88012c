/**
 * Exit codes of the server commands (documented in apps/cli/README.md; scripts rely on them).
 * `holdout score` keeps its own contract (0, 1 usage, 2 invalid input).
 */
export const EXIT = {
  ok: 0,
  /** A command line that cannot run, or something unexpected. */
  usage: 1,
  /** The server refused the request (bad file, quota, not allowed, not found). */
  refused: 2,
  /** Not signed in, or the server did not accept the token. */
  auth: 3,
  /** The server could not be reached, or failed (HTTP 5xx). */
  unreachable: 4,
  /** `--wait`: the submission finished, but failed or was cancelled. */
  failed: 5,
} as const;

/** An error the command line reports as one line (`error: …`) with its exit code, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
