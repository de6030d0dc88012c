// What the mask viewer may show (public data images) and where its predictions come from (a past
// submission's file, a kernel run's output, or a file from disk). Shared by server and client.
import type { KernelRunDto, KernelRunPhase } from '@holdout/contracts';
import { errorFrom } from './client';
import { latestOfEachPhase, runFileUrl } from './runs';

/** Browser images, and whole-slide TIFFs (shown from the API's tiles). */
const IMAGE = /\.(png|jpe?g|webp|tiff?)$/i;
const SPLIT = /^(test|train)\//;

/** An image of the competition's public data, as the data listing names it. */
export interface PublicImage {
  /** Path in the public data, e.g. `test/00ef6c95e.tiff`: the only thing the viewer ever requests. */
  path: string;
  /** The id a submission's rows name it by: the file name without its extension. */
  id: string;
  split: 'test' | 'train';
}

export function imageId(path: string): string {
  return path.split('/').pop()!.replace(/\.[^.]+$/, '');
}

/**
 * The images among the public data files the API lists (nothing else is ever public): the test
 * images first (what submissions predict; in a kernel-only competition the few public samples),
 * then the training images, each sorted by path.
 */
export function publicImages(names: string[]): PublicImage[] {
  const out: PublicImage[] = [];
  for (const path of names) {
    const split = SPLIT.exec(path)?.[1] as PublicImage['split'] | undefined;
    if (split && IMAGE.test(path)) out.push({ path, id: imageId(path), split });
  }
  return out.sort((a, b) => (a.split === b.split ? a.path.localeCompare(b.path) : a.split === 'test' ? -1 : 1));
}

/**
 * The distinct image ids of a CSV whose first column is the id (`id,predicted` or `train.csv`),
 * in file order, without the header; tolerant of quotes and CRLF, as `rowsFor` is.
 */
export function csvIds(csv: string): string[] {
  const ids = new Set<string>();
  let first = true;
  for (const raw of csv.split(/\r?\n/)) {
    const comma = raw.indexOf(',');
    const id = (comma < 0 ? raw : raw.slice(0, comma)).trim().replace(/^"|"$/g, '');
    if (first) {
      first = false;
      if (id === 'id') continue;
    }
    if (id) ids.add(id);
  }
  return [...ids];
}

/** Where a file submission's uploaded CSV downloads from (its team and the course staff). */
export function submissionFileUrl(submissionId: string): string {
  return `/api/submissions/${encodeURIComponent(submissionId)}/file`;
}

/** A kernel run's `submission.csv` the viewer may read. */
export interface RunOutput {
  phase: KernelRunPhase;
  size: number;
  url: string;
}

/**
 * The `submission.csv` of each run `?run=` can name (the latest attempt of each phase) that the
 * viewer may read: the team's public run, and the hidden run only where its log is shown.
 */
export function runOutputs(submissionId: string, runs: KernelRunDto[]): RunOutput[] {
  const latest = latestOfEachPhase(runs);
  return runs
    .filter((r) => latest.has(r) && r.logVisible)
    .flatMap((r) => {
      const f = r.files.find((x) => x.name === 'submission.csv');
      return f ? [{ phase: r.phase, size: f.size, url: runFileUrl(submissionId, r.phase, f.name) }] : [];
    })
    .sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'public' ? -1 : 1));
}

/** GETs a same-origin URL (`/api/…`) as text or JSON; rejects with a ClientApiError. */
export async function fetchBody(url: string, as: 'text'): Promise<string>;
export async function fetchBody<T>(url: string, as: 'json'): Promise<T>;
export async function fetchBody(url: string, as: 'text' | 'json'): Promise<unknown> {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: as === 'json' ? 'application/json' : 'text/csv, text/plain' } });
  if (!res.ok) throw await errorFrom(res);
  return as === 'json' ? res.json() : res.text();
}
