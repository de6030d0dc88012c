import type { Metadata } from 'next';
import type { TeamDto, TeamLinkPreviewDto } from '@holdout/contracts';
import { ApiError, api, requireMe } from '@/lib/api';
import { currentPath, getCompetition } from '@/lib/competition';
import { ErrorNote } from '../../../../_components/ErrorNote';
import { TeamPanel, type LinkPreview } from './_components/TeamPanel';

export const metadata: Metadata = { title: 'Team' };

export default async function TeamPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ code?: string | string[] }>;
}) {
  const { slug } = await params;
  const asked = (await searchParams).code;
  const code = typeof asked === 'string' && asked.trim() ? asked.trim() : null;
  const here = `/competitions/${slug}/team${code ? `?code=${encodeURIComponent(code)}` : ''}`;
  await requireMe(await currentPath(here));
  const c = await getCompetition(slug);
  if (!c.viewer) {
    return (
      <p className="alert alert--info" data-testid="team-not-member">
        Join the course to compete in this competition and form a team.
      </p>
    );
  }
  const path = `/competitions/${encodeURIComponent(slug)}/team`;
  let team: TeamDto;
  try {
    team = await api<TeamDto>(path);
  } catch (e) {
    return <ErrorNote error={e} what="your team" />;
  }
  // An invite link: what merging into its team would do, or why the link does not work.
  let link: LinkPreview | null = null;
  if (code) {
    try {
      link = { code, preview: await api<TeamLinkPreviewDto>(`${path}/invite-link/${encodeURIComponent(code)}`), error: null };
    } catch (e) {
      link = { code, preview: null, error: e instanceof ApiError ? e.message : 'Something went wrong.' };
    }
  }
  return (
    <TeamPanel
      slug={slug}
      initial={team}
      link={link}
      dailySubmissions={c.limits.dailySubmissions}
      mergeOpen={Date.now() < new Date(team.mergeClosesAt).getTime()}
    />
  );
}
