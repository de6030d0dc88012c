import { parseArgs } from 'node:util';

/** Exit code for a command line that cannot run (unknown command or option, missing argument). */
export const EXIT_USAGE = 1;

/** What a command accepts, for node:util's `parseArgs`. */
export interface CommandLine {
  /** Printed for --help, and after a usage error. */
  usage: string;
  /** `--name <value>` options (string) and flags (boolean). */
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  /** Options that must be given. */
  required?: string[];
  /** Names of the positional arguments; all are required. */
  positionals?: string[];
  /** More positionals may follow the named ones (e.g. `select ID…`). */
  morePositionals?: boolean;
}

export interface ParsedLine {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * Parses a command's arguments. For --help it prints the usage; for a bad command line it prints
 * the problem and the usage to stderr and sets exit code 1; both return null.
 */
export function parseCommandLine(args: string[], line: CommandLine): ParsedLine | null {
  let parsed: ParsedLine;
  try {
    parsed = parseArgs({ args, options: { ...line.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    return usageError(line.usage, (err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(line.usage);
    return null;
  }
  const missing = (line.required ?? []).find((name) => parsed.values[name] === undefined);
  if (missing !== undefined) return usageError(line.usage, `required option --${missing} not specified`);
  const names = line.positionals ?? [];
  if (parsed.positionals.length < names.length) return usageError(line.usage, `missing argument <${names[parsed.positionals.length]}>`);
  if (parsed.positionals.length > names.length && !line.morePositionals) return usageError(line.usage, `unexpected argument ${JSON.stringify(parsed.positionals[names.length])}`);
  return parsed;
}

/** Prints `error: <message>` and the usage to stderr, sets exit code 1, returns null. */
export function usageError(usage: string, message: string): null {
  process.stderr.write(`error: ${message}\n\n${usage}`);
  process.exitCode = EXIT_USAGE;
  return null;
}
