import { cache } from 'react';
import { headers } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import type { CompetitionDto } from '@holdout/contracts';
import { apiOrNull, getMe } from './api';

/** One fetch per request, shared by the competition layout and its tab pages. */
export const getCompetition = cache(async (slug: string): Promise<CompetitionDto> => {
  const c = await apiOrNull<CompetitionDto>(`/competitions/${encodeURIComponent(slug)}`);
  if (c) return c;
  const me = await getMe();
  if (!me) redirect(`/login?next=${encodeURIComponent(await currentPath(`/competitions/${slug}`))}`);
  notFound();
});

export function isStaffOf(c: CompetitionDto): boolean {
  return c.viewer?.role === 'instructor' || c.viewer?.role === 'ta';
}

/** The path (and query) of the page being rendered, as proxy.ts passes it; `fallback` without it. */
export async function currentPath(fallback: string): Promise<string> {
  const path = (await headers()).get('x-holdout-path');
  return path && path.startsWith('/') && !/^\/[\\/]/.test(path) ? path : fallback;
}
