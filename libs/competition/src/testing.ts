// Helpers for this library's tests (not exported from index.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CompetitionBundleError, type BundleIssue } from './errors.js';
import { defaultCompetitionsDir } from './loader.js';

/** The parsed competition.yaml of a bundled competition, as a plain object to mutate. */
export function bundledYaml(slug: string): Record<string, any> {
  return parse(readFileSync(join(defaultCompetitionsDir(), slug, 'competition.yaml'), 'utf8'));
}

export function toYaml(value: unknown): string {
  return stringify(value);
}

/** Runs `fn`, expects a CompetitionBundleError, returns its issues. */
export function issuesOf(fn: () => unknown): BundleIssue[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof CompetitionBundleError) return error.issues;
    throw error;
  }
  throw new Error('expected a CompetitionBundleError, but nothing was thrown');
}
