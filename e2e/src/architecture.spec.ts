// The architecture rules, checked on the sources (no services needed):
// - an app never imports another app (by package name or by a relative path), and its
//   package.json never depends on one; libs never import apps;
// - libs/metrics imports no framework, libs/rules nothing but contracts, metrics and node;
// - one module (libs/db/src/lifecycle.ts) writes a submission's status and what moves with it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APPS = ['api', 'worker', 'web', 'cli'];
const FRAMEWORKS = /^(@nestjs\/|typeorm$|bullmq$|ioredis$|pg$|express$|next($|\/)|react($|-dom|\/)|dockerode$|onnxruntime-node$|zod$)/;
const LIFECYCLE = 'libs/db/src/lifecycle.ts';

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === '.next' || name === 'output') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.(c|m)?tsx?$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

/** The module specifiers a source file imports (static, dynamic, re-exports, require). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:[}\w*]\s*\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/gm;
  for (let m; (m = re.exec(source)); ) out.push(m[1]!);
  return out;
}

/** Which workspace (`apps/api`, `libs/db`, `e2e`, …) a repository path belongs to. */
function workspaceOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'apps' || parts[0] === 'libs' ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Where `spec` (imported by repository file `from`) leads: a workspace, or an external package. */
function targetOf(from: string, spec: string): { workspace: string } | { pkg: string } {
  if (spec.startsWith('.')) return { workspace: workspaceOf(relative(ROOT, resolve(ROOT, dirname(from), spec))) };
  const m = /^@holdout\/([^/]+)/.exec(spec);
  if (m) return { workspace: APPS.includes(m[1]!) ? `apps/${m[1]}` : m[1] === 'e2e' ? 'e2e' : `libs/${m[1]}` };
  return { pkg: spec };
}

/** The columns that move with a submission's status; only the lifecycle writes them. */
const LIFECYCLE_COLUMNS = ['status', 'public_score', 'private_score', 'public_interval', 'private_interval', 'per_image_public', 'per_image_private', 'selected', 'error_class', 'error_code', 'error_message', 'error_row', 'attempts', 'started_at', 'scored_at', 'retries', 'run_phase'];

/** Writes of lifecycle columns in a source file: raw SQL updates and TypeORM writes of Submission. */
export function lifecycleWrites(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/UPDATE\s+submissions\s+SET\s+([\s\S]*?)(?:\bWHERE\b|`|$)/gi)) {
    const cols = LIFECYCLE_COLUMNS.filter((c) => new RegExp(`\\b${c}\\s*=`, 'i').test(m[1]!));
    if (cols.length) found.push(`UPDATE submissions SET ${cols.join(', ')}`);
  }
  for (const m of source.matchAll(/getRepository\(\s*Submission\s*\)\s*\.\s*(update|save|insert|upsert|increment|decrement)\b/g)) found.push(`getRepository(Submission).${m[1]}`);
  for (const m of source.matchAll(/\.update\(\s*Submission\s*[,)]/g)) found.push(m[0]);
  return found;
}

const files = ['apps', 'libs', 'e2e'].flatMap((top) => [...sources(join(ROOT, top))]).map((f) => relative(ROOT, f));
const isTest = (f: string) => /\.(spec|int-spec|e2e-spec)\.tsx?$/.test(f);

describe('architecture', () => {
  it('reads imports and finds status writes the way the rules need (self-check)', () => {
    assert.deepEqual(importsOf(`assert.match(m, /"a" from "b"/);\nimport a from '@holdout/api';\nexport * from "./x.js";\nconst b = await import('../../apps/worker/src/y.js');\nimport './side.js';`), ['@holdout/api', './x.js', '../../apps/worker/src/y.js', './side.js']);
    assert.deepEqual(lifecycleWrites("await ds.query(`UPDATE submissions SET status = 'failed', updated_at = now() WHERE id = $1`)"), ['UPDATE submissions SET status']);
    assert.deepEqual(lifecycleWrites("await m.query('UPDATE submissions SET selected = $2 WHERE id = $1')"), ['UPDATE submissions SET selected']);
    assert.deepEqual(lifecycleWrites('await m.getRepository(Submission).update({ id }, { selected })'), ['getRepository(Submission).update']);
    assert.deepEqual(lifecycleWrites("await ds.query(`UPDATE submissions SET updated_at = now() WHERE status = 'queued'`)"), []);
    assert.deepEqual(lifecycleWrites('await ds.getRepository(Submission).findOne({ where: { id } })'), []);
  });

  it('no app imports another app, and no lib imports an app', () => {
    const bad: string[] = [];
    for (const f of files) {
      const here = workspaceOf(f);
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        const t = targetOf(f, spec);
        if (!('workspace' in t) || t.workspace === here || !t.workspace.startsWith('apps/')) continue;
        if (here.startsWith('apps/') || here.startsWith('libs/')) bad.push(`${f} imports ${spec} (${t.workspace})`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no package.json of an app or a lib depends on an app', () => {
    const bad: string[] = [];
    for (const top of ['apps', 'libs']) {
      for (const name of readdirSync(join(ROOT, top))) {
        let pkg: { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
        try {
          pkg = JSON.parse(readFileSync(join(ROOT, top, name, 'package.json'), 'utf8'));
        } catch {
          continue;
        }
        const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
        for (const d of deps) if (APPS.some((a) => d === `@holdout/${a}`) && d !== pkg.name) bad.push(`${top}/${name} depends on ${d}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  // What each lib may import besides node's modules and its own files (ARCHITECTURE.md's table;
  // libs/db also reads its config with zod, types the Redis client it is handed, and talks to an
  // S3-compatible artifact store through the AWS SDK, loaded only when that store is configured).
  const LIB_IMPORTS: Record<string, RegExp> = {
    'libs/contracts': /^$/,
    'libs/metrics': /^$/,
    'libs/rules': /^@holdout\/(contracts|metrics)$/,
    'libs/competition': /^(@holdout\/(contracts|metrics)|sharp|yaml|zod|tar-stream)$/,
    'libs/sandbox': /^(@holdout\/contracts|dockerode)$/,
    'libs/inference': /^(onnxruntime-node|sharp|protobufjs|tar-stream)$/,
    'libs/db': /^(@holdout\/(contracts|rules)|typeorm|pg|zod|ioredis|reflect-metadata|@aws-sdk\/(client-s3|lib-storage|s3-request-presigner))$/,
  };

  it('each lib imports only what the architecture allows it (libs/metrics: no framework, nothing at all)', () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => f.startsWith('libs/'))) {
      const allowed = LIB_IMPORTS[workspaceOf(f)];
      if (!allowed) {
        bad.push(`${workspaceOf(f)} has no entry in LIB_IMPORTS`);
        continue;
      }
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        if (spec.startsWith('.') || spec.startsWith('node:') || allowed.test(spec)) continue;
        if (isTest(f) && (spec === 'fast-check' || spec.startsWith('@holdout/'))) continue;
        bad.push(`${f} imports ${spec}`);
      }
      if (f.startsWith('libs/metrics/') && importsOf(readFileSync(join(ROOT, f), 'utf8')).some((s) => FRAMEWORKS.test(s))) bad.push(`${f} imports a framework`);
    }
    assert.deepEqual([...new Set(bad)], []);
  });

  it(`only ${LIFECYCLE} writes a submission's status, scores, selection and error`, () => {
    const bad: string[] = [];
    for (const f of files) {
      if (f === LIFECYCLE || isTest(f)) continue;
      for (const w of lifecycleWrites(readFileSync(join(ROOT, f), 'utf8'))) bad.push(`${f}: ${w}`);
    }
    assert.deepEqual(bad, []);
    // The rule sees the lifecycle's own writes (its status UPDATE, a selection and a team's selections cleared).
    assert.deepEqual(lifecycleWrites(readFileSync(join(ROOT, LIFECYCLE), 'utf8')).sort(), ['UPDATE submissions SET selected', 'UPDATE submissions SET selected', 'UPDATE submissions SET status']);
  });
});
