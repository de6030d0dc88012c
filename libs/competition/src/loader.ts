import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CompetitionBundleError, type BundleIssue } from './errors.js';
import { RECIPE_GENERATORS } from './recipes/index.js';
import { competitionConfigSchema, type CompetitionConfig } from './schema.js';
import { resolveTimePoint } from './units.js';
import { BUNDLE_LIMITS, formatBytes } from './upload/limits.js';

export const CONFIG_FILE = 'competition.yaml';
/** The Markdown pages every bundle has, under `pages/`. */
export const PAGE_NAMES = ['overview', 'data', 'evaluation', 'rules'] as const;
export type PageName = (typeof PAGE_NAMES)[number];

/** A loaded, validated competition bundle. */
export interface CompetitionBundle {
  slug: string;
  /** Absolute path of the bundle directory. */
  dir: string;
  config: CompetitionConfig;
  /** Markdown of each page, as written. */
  pages: Record<PageName, string>;
  files: {
    config: string;
    pages: Record<PageName, string>;
    /** `sample_submission.csv` shipped with the bundle (for the default seed), or null. */
    sampleSubmission: string | null;
    /** Starter kernel as a script and as a notebook (`starter/kernel.py`, `starter/kernel.ipynb`). */
    starterKernel: { py: string | null; ipynb: string | null };
  };
}

function zodIssues(error: z.ZodError, file: string): BundleIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        field: [...path, key].join('.'),
        message: 'unknown field (check its spelling; fields are camelCase)',
      }));
    }
    const missing = 'input' in issue && issue.input === undefined && issue.code !== 'custom';
    const message = missing ? 'is required' : issue.message;
    return [{ file, field: path.length > 0 ? path.join('.') : undefined, message }];
  }).flat();
}

/**
 * Parses and validates the text of a competition.yaml (schema version 1). Throws a
 * `CompetitionBundleError` listing every problem, each naming its field
 * (e.g. `kernel.timeLimit: expected a duration like "9h" …`).
 */
export function parseCompetitionConfig(text: string, file = CONFIG_FILE): CompetitionConfig {
  const tooLarge = (message: string) => new CompetitionBundleError(file, [{ file, message }]);
  if (Buffer.byteLength(text) > BUNDLE_LIMITS.configBytes) throw tooLarge(`is ${formatBytes(Buffer.byteLength(text))}; it may be at most ${formatBytes(BUNDLE_LIMITS.configBytes)}`);
  const lineCounter = new LineCounter();
  // Resource limits: the YAML library refuses more alias expansions than maxAliasCount (a
  // "billion laughs" file) with a ReferenceError, and deep nesting overflows its recursive
  // composer with a RangeError; both become issues naming the problem, never a crash.
  const nestedTooDeeply = () => tooLarge(`is nested too deeply (at most ${BUNDLE_LIMITS.yamlMaxDepth} levels)`);
  // The parser recurses per flow bracket, so thousands of them overflow its stack before any
  // limit of ours applies: count them first (brackets inside quotes count too; a real
  // competition.yaml is nowhere near this bound).
  if (flowBracketDepth(text) > BUNDLE_LIMITS.yamlMaxFlowBrackets) throw nestedTooDeeply();
  let doc: ReturnType<typeof parseDocument>;
  let raw: unknown;
  try {
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
    raw = doc.errors.length > 0 ? null : doc.toJS({ maxAliasCount: BUNDLE_LIMITS.yamlMaxAliases });
  } catch (error) {
    if (error instanceof RangeError) throw nestedTooDeeply();
    if (error instanceof ReferenceError) throw tooLarge(`expands its aliases too often (at most ${BUNDLE_LIMITS.yamlMaxAliases} alias uses; is it a "billion laughs" file?)`);
    throw error;
  }
  if (doc.errors.some((e) => /call stack/i.test(e.message))) throw nestedTooDeeply();
  if (doc.errors.length === 0 && depthOf(raw) > BUNDLE_LIMITS.yamlMaxDepth) throw nestedTooDeeply();
  if (doc.errors.length > 0) {
    throw new CompetitionBundleError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { file, message: `YAML syntax error at line ${line}, column ${col}: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CompetitionBundleError(file, [{ file, message: 'expected a mapping of fields (schemaVersion, slug, title, …)' }]);
  }
  const parsed = competitionConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new CompetitionBundleError(file, zodIssues(parsed.error, file));
  const config = parsed.data;
  const recipe = config.data.recipe;
  if (recipe) {
    const generator = RECIPE_GENERATORS[recipe.generator];
    if (!generator) {
      throw new CompetitionBundleError(file, [
        { file, field: 'data.recipe.generator', message: `unknown generator "${recipe.generator}" (known: ${Object.keys(RECIPE_GENERATORS).join(', ')})` },
      ]);
    }
    const params = generator.paramsSchema.safeParse(recipe.params, { reportInput: true });
    if (!params.success) {
      throw new CompetitionBundleError(
        file,
        zodIssues(params.error, file).map((i) => ({ ...i, field: ['data.recipe.params', i.field].filter(Boolean).join('.') })),
      );
    }
    recipe.params = params.data as Record<string, unknown>;
  }
  return config;
}

/** Deepest run of unclosed `[`/`{` in a text, quotes and comments not considered. */
function flowBracketDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** Nesting depth of a parsed YAML value, without recursion (its input may be hostile). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object' || v instanceof Date) continue;
    max = Math.max(max, d + 1);
    if (max > BUNDLE_LIMITS.yamlMaxDepth) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    await stat(path);
    return path;
  } catch {
    return null;
  }
}

/**
 * Loads a bundle directory: validates `competition.yaml` (its `slug` must equal the directory's
 * name) and reads the four Markdown pages under `pages/`. Throws `CompetitionBundleError` naming
 * every missing file and invalid field. Data-as-files bundles are checked further by
 * `validateCompetitionData` (it reads every image, so it is not part of loading).
 */
export async function loadBundle(dir: string): Promise<CompetitionBundle> {
  const abs = resolve(dir);
  const configPath = join(abs, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch {
    // The message names no directory: for an upload it would be a server path.
    throw new CompetitionBundleError(abs, [{ file: CONFIG_FILE, message: 'not found in the bundle' }]);
  }
  const issues: BundleIssue[] = [];
  let config: CompetitionConfig | null = null;
  try {
    config = parseCompetitionConfig(text);
  } catch (error) {
    if (!(error instanceof CompetitionBundleError)) throw error;
    issues.push(...error.issues); // reported with the page problems below
  }
  if (config && config.slug !== basename(abs)) {
    issues.push({ file: CONFIG_FILE, field: 'slug', message: `"${config.slug}" does not match the bundle directory "${basename(abs)}"` });
  }
  const pages = {} as Record<PageName, string>;
  const pageFiles = {} as Record<PageName, string>;
  for (const name of PAGE_NAMES) {
    const path = join(abs, 'pages', `${name}.md`);
    pageFiles[name] = path;
    try {
      const { size } = await stat(path);
      if (size > BUNDLE_LIMITS.pageBytes) {
        issues.push({ file: `pages/${name}.md`, message: `is ${formatBytes(size)}; a page may be at most ${formatBytes(BUNDLE_LIMITS.pageBytes)}` });
        continue;
      }
      pages[name] = await readFile(path, 'utf8');
      if (pages[name].trim() === '') issues.push({ file: `pages/${name}.md`, message: 'is empty' });
    } catch {
      issues.push({ file: `pages/${name}.md`, message: 'is missing (every bundle has overview, data, evaluation and rules pages)' });
    }
  }
  if (config?.data.files) {
    for (const key of ['public', 'hidden'] as const) {
      const path = resolve(abs, config.data.files[key]);
      if (!path.startsWith(`${abs}/`)) {
        issues.push({ file: CONFIG_FILE, field: `data.files.${key}`, message: 'must be a directory inside the bundle' });
      } else if ((await readOptional(path)) === null) {
        issues.push({ file: CONFIG_FILE, field: `data.files.${key}`, message: `directory "${config.data.files[key]}" does not exist` });
      }
    }
  }
  if (issues.length > 0 || !config) throw new CompetitionBundleError(abs, issues);
  return {
    slug: config.slug,
    dir: abs,
    config,
    pages,
    files: {
      config: configPath,
      pages: pageFiles,
      sampleSubmission: await readOptional(join(abs, 'sample_submission.csv')),
      starterKernel: {
        py: await readOptional(join(abs, 'starter', 'kernel.py')),
        ipynb: await readOptional(join(abs, 'starter', 'kernel.ipynb')),
      },
    },
  };
}

/** `competitions/` of this repository, found from where this library is installed. */
export function defaultCompetitionsDir(): string {
  // dist/loader.js → libs/competition → repo root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'competitions');
}

/**
 * Loads every bundle under `<repoRoot>/competitions/` (directories holding a competition.yaml),
 * sorted by slug. Throws on the first invalid bundle: the bundled ones must always be valid.
 */
export async function listBundledCompetitions(repoRoot?: string): Promise<CompetitionBundle[]> {
  const root = repoRoot ? join(resolve(repoRoot), 'competitions') : defaultCompetitionsDir();
  const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const bundles: CompetitionBundle[] = [];
  for (const name of names) {
    if ((await readOptional(join(root, name, CONFIG_FILE))) === null) continue;
    bundles.push(await loadBundle(join(root, name)));
  }
  return bundles;
}

/** Loads a bundled competition by slug (from `defaultCompetitionsDir()` unless given). */
export async function loadBundledCompetition(slug: string, competitionsDir = defaultCompetitionsDir()): Promise<CompetitionBundle> {
  return loadBundle(join(competitionsDir, slug));
}

/** Concrete dates of a timeline. */
export interface ResolvedTimeline {
  opensAt: Date;
  teamMergeDeadline: Date;
  closesAt: Date;
}

/**
 * Turns the configured timeline into dates. Relative points (`now+60d`) count from `anchor`:
 * pass the moment the competition is first imported and store the result, so the dates do not
 * move on every restart. Throws when the resolved dates are out of order.
 */
export function resolveTimeline(timeline: CompetitionConfig['timeline'], anchor: Date): ResolvedTimeline {
  const resolved = {
    opensAt: resolveTimePoint(timeline.opensAt, anchor),
    teamMergeDeadline: resolveTimePoint(timeline.teamMergeDeadline, anchor),
    closesAt: resolveTimePoint(timeline.closesAt, anchor),
  };
  if (resolved.teamMergeDeadline < resolved.opensAt || resolved.closesAt <= resolved.teamMergeDeadline) {
    throw new CompetitionBundleError(CONFIG_FILE, [
      { file: CONFIG_FILE, field: 'timeline', message: 'must resolve to opensAt ≤ teamMergeDeadline < closesAt' },
    ]);
  }
  return resolved;
}
