import type { Command } from 'commander';

// Placeholder until the competition bundles land (issue 6); replaced by its owner.
export function registerCompetitionsCommand(program: Command): void {
  program.command('competitions').description('build competition data (not built yet)');
}
