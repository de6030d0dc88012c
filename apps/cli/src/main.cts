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
  login: async () => ({ run: (await import('./commands/auth.js')).login }),
  logout: async () => ({ run: (await import('./commands/auth.js')).logout }),
  whoami: async () => ({ run: (await import('./commands/auth.js')).whoami }),
  competitions: () => import('./commands/competitions.js'),
  kernels: () => import('./commands/kernels.js'),
  predict: () => import('./commands/predict.js'),
  bundles: () => import('./commands/bundles.js'),
  completion: () => import('./commands/completion.js'),
};

const USAGE = `Usage: holdout <command> [options]

Holdout from the command line: a competition server's data, submissions and leaderboards, and
offline tools.

Commands:
  on a server (after holdout login)
    login          sign in to a server and store a personal API token (~/.holdout/config.json)
    logout         forget the stored token
    whoami         who the stored token signs in as, and your courses
    competitions   list, files, download, submit (a file, or an ONNX model: --model),
                   submissions, leaderboard, select; instructors: create, close, rescore,
                   shakeup
    kernels        push a notebook or script, its status, its log (--follow), cancel
  offline
    score          score a submission against a solution, exactly as the server does
    predict        run an ONNX model through a competition's pipeline, exactly as the
                   server does (-c SLUG, or --bundle DIR without a server)
    bundles        competition bundles and their data: build, list, validate
    completion     a bash completion script (source <(holdout completion bash))

Run holdout <command> --help for the command's options. A student's session:
  holdout login --url https://holdout.example.edu --email you@example.edu
  holdout competitions list
  holdout competitions download -c glomeruli -p data/
  holdout competitions submit -c glomeruli -f submission.csv -m "threshold 0.4" --wait
  holdout competitions leaderboard -c glomeruli

A model's local CV, then the model itself:
  holdout predict -c glomeruli --model model.onnx --images data/train --out train-predictions.csv
  holdout score --metric dice --solution data/train.csv --submission train-predictions.csv --images data/train
  holdout competitions submit -c glomeruli --model model.onnx -m "unet, flip TTA" --wait
`;

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') process.stdout.write(USAGE);
  else if (Object.hasOwn(COMMANDS, name)) await (await COMMANDS[name]!()).run(args);
  else usageError(USAGE, `unknown command ${JSON.stringify(name)}`);
}

main().catch((err: unknown) => {
  // The server commands' errors (CliError) are one line for the user, with their exit code.
  const e = err as { name?: string; message?: string; exitCode?: number };
  if (e?.name === 'CliError' && typeof e.exitCode === 'number') {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = e.exitCode;
    return;
  }
  console.error(err);
  process.exitCode = 1;
});
