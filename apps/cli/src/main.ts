import { Command } from 'commander';
import { registerScoreCommand } from './commands/score.js';
import { registerCompetitionsCommand } from './commands/competitions.js';

const program = new Command()
  .name('holdout')
  .description('Holdout: offline scoring and competition tools')
  .showHelpAfterError();

registerScoreCommand(program);
registerCompetitionsCommand(program);

await program.parseAsync(process.argv);
