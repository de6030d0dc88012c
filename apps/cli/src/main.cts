import { usageError } from './args.cjs';

interface Command {
  run(args: string[]): Promise<void>;
}

// Arguments are parsed with node:util's parseArgs, and a command's module is loaded only when
// that command runs: `holdout score` is timed as a whole process (issue 2), and an argument
// library (~20 ms) or the competition library with its image stack (~0.5 s) would dominate it.
// The `score` path is CommonJS from end to end (this file, the command, @holdout/metrics): in
// Node 20 the first ES module of a process starts the ESM loader, ~18 ms of a ~0.4 s run.
const COMMANDS: Record<string, () => Command | Promise<Command>> = {
  score: () => require('./commands/score.cjs') as typeof import('./commands/score.cjs'),
  competitions: () => import('./commands/competitions.js'),
};

const USAGE = `Usage: holdout <command> [options]

Holdout: offline scoring and competition tools

Commands:
  score          score a submission against a solution offline, exactly as the server does
  competitions   competition bundles and their data: build, list, validate

Run holdout <command> --help for the command's options.
`;

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') process.stdout.write(USAGE);
  else if (Object.hasOwn(COMMANDS, name)) await (await COMMANDS[name]!()).run(args);
  else usageError(USAGE, `unknown command ${JSON.stringify(name)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
