import type { Command } from 'commander';

// Placeholder until the scoring engine lands (issue 2); replaced by its owner.
export function registerScoreCommand(program: Command): void {
  program.command('score').description('score a submission offline (not built yet)');
}
