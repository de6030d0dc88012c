import { usageError } from './args.js';

// Arguments are parsed with node:util's parseArgs, and a command's module is imported only when
// that command runs: `holdout score` is timed as a whole process (issue 2), and an argument
// library (~20 ms) or the competition library with its image stack (~0.5 s) would dominate it.
const COMMANDS: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  score: () => import('./commands/score.js'),
  competitions: () => import('./commands/competitions.js'),
};

const USAGE = `Usage: holdout <command> [options]

Holdout: offline scoring and competition tools

Commands:
  score          score a submission against a solution offline, exactly as the server does
  competitions   competition bundles and their data: build, list, validate

Run holdout <command> --help for the command's options.
`;

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h' || name === 'help') process.stdout.write(USAGE);
else if (Object.hasOwn(COMMANDS, name)) await (await COMMANDS[name]!()).run(args);
else usageError(USAGE, `unknown command ${JSON.stringify(name)}`);
