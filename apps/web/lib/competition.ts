import { cache } from 'react';
import { notFound, redirect } from 'next/navigation';
import type { CompetitionDto } from '@holdout/contracts';
import { apiOrNull, getMe } from './api';

/** One fetch per request, shared by the competition layout and its tab pages. */
export const getCompetition = cache(async (slug: string): Promise<CompetitionDto> => {
  const c = await apiOrNull<CompetitionDto>(`/competitions/${encodeURIComponent(slug)}`);
  if (c) return c;
  const me = await getMe();
  if (!me) redirect(`/login?next=${encodeURIComponent(`/competitions/${slug}`)}`);
  notFound();
});

export function isStaffOf(c: CompetitionDto): boolean {
  return c.viewer?.role === 'instructor' || c.viewer?.role === 'ta';
}
