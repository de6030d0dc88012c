import { Command } from 'commander';

// Each command's module is imported only when that command runs (or for help): loading the
// competition library and its image stack costs ~0.5 s, which `holdout score` must not pay.
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  score: async () => (await import('./commands/score.js')).registerScoreCommand,
  competitions: async () => (await import('./commands/competitions.js')).registerCompetitionsCommand,
};

const program = new Command()
  .name('holdout')
  .description('Holdout: offline scoring and competition tools')
  .showHelpAfterError();

const requested = process.argv[2];
const needed = requested && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
for (const name of needed) (await COMMANDS[name]!())(program);

await program.parseAsync(process.argv);
