'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import type { TeamDto, TeamInviteDto, TeamLinkPreviewDto } from '@holdout/contracts';
import { ClientApiError, send } from '@/lib/client';
import { formatDate, sentence } from '@/lib/format';

/** An invite link opened on this page (`?code=`): its preview, or why it does not work. */
export interface LinkPreview {
  code: string;
  preview: TeamLinkPreviewDto | null;
  error: string | null;
}

interface Note {
  kind: 'ok' | 'error';
  text: string;
}

/** The API's rule messages (`the merged team would have 3 members; …`) as sentences on the page. */
function asSentence(s: string): string {
  const t = sentence(s.trim());
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function members(n: number): string {
  return `${n} ${n === 1 ? 'member' : 'members'}`;
}

/**
 * The viewer's team in a competition: its name and members, the invite link and invites by name,
 * invites to answer, merging through a link, and leaving. Every action answers the team as it is
 * afterwards, which replaces what the page shows.
 */
export function TeamPanel({
  slug,
  initial,
  link: initialLink,
  dailySubmissions,
  mergeOpen,
}: {
  slug: string;
  initial: TeamDto;
  link: LinkPreview | null;
  dailySubmissions: number;
  mergeOpen: boolean;
}) {
  const router = useRouter();
  const [team, setTeam] = useState(initial);
  const [link, setLink] = useState(initialLink);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note | null>(null);
  const [origin, setOrigin] = useState('');
  const base = `/competitions/${encodeURIComponent(slug)}/team`;

  // The link is shared as a full URL; the origin is the browser's (the server renders without it).
  useEffect(() => setOrigin(window.location.origin), []);

  async function act(fn: () => Promise<string>) {
    setBusy(true);
    setNote(null);
    try {
      setNote({ kind: 'ok', text: await fn() });
    } catch (err) {
      setNote({ kind: 'error', text: err instanceof ClientApiError ? asSentence(err.message) : 'The server could not be reached.' });
    } finally {
      setBusy(false);
    }
  }

  function rename(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
    void act(async () => {
      setTeam(await send<TeamDto>('PATCH', base, { name }));
      return `Your team is called ${name} now.`;
    });
  }

  function makeLink() {
    void act(async () => {
      setTeam(await send<TeamDto>('POST', `${base}/invite-link`));
      return 'Invite link made: send it to the people you want in your team.';
    });
  }

  function invite(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const teamName = String(new FormData(form).get('teamName') ?? '').trim();
    void act(async () => {
      const sent = await send<TeamInviteDto>('POST', `${base}/invites`, { teamName }).catch((err: unknown) => {
        if (err instanceof ClientApiError && err.status === 404) throw new ClientApiError(404, err.code, `No team is called "${teamName}" in this competition.`);
        throw err;
      });
      setTeam(await send<TeamDto>('GET', base));
      form.reset();
      return `Invite sent to ${sent.team.name}: when they accept, their team merges into yours.`;
    });
  }

  function merge(code: string, into: string) {
    void act(async () => {
      setTeam(await send<TeamDto>('POST', `${base}/join`, { code }));
      dismissLink();
      return `Your team merged into ${into}.`;
    });
  }

  function dismissLink() {
    setLink(null);
    router.replace(`/competitions/${slug}/team`, { scroll: false });
  }

  function answer(i: TeamInviteDto, how: 'accept' | 'decline' | 'withdraw') {
    void act(async () => {
      if (how === 'withdraw') {
        setTeam(await send<TeamDto>('DELETE', `${base}/invites/${i.id}`));
        return `Invite to ${i.team.name} withdrawn.`;
      }
      setTeam(await send<TeamDto>('POST', `${base}/invites/${i.id}/${how}`));
      return how === 'accept' ? `Your team merged into ${i.team.name}.` : `Invite from ${i.team.name} declined.`;
    });
  }

  function leave() {
    void act(async () => {
      setTeam(await send<TeamDto>('POST', `${base}/leave`));
      return 'You left the team: you are a team of one again.';
    });
  }

  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      setNote({ kind: 'ok', text: 'Invite link copied.' });
    } catch {
      setNote({ kind: 'error', text: 'Could not copy: select the link and copy it yourself.' });
    }
  }

  const inviteUrl = team.invitePath ? `${origin}${team.invitePath}` : null;

  return (
    <div data-testid="team-page">
      <div aria-live="polite">
        {note && (
          <div className={`alert alert--${note.kind}`} role={note.kind === 'error' ? 'alert' : 'status'} data-testid="team-note">
            {note.text}
          </div>
        )}
      </div>

      {link && (
        <section className="card" aria-labelledby="link-h" data-testid="team-link-preview">
          <h2 id="link-h">Invite link</h2>
          {link.preview ? (
            <>
              <p>
                Merge your team into <strong>{link.preview.team.name}</strong> ({members(link.preview.team.members)})?
              </p>
              <p className="muted small">
                Your members and submissions move to {link.preview.team.name}, with their scores; the merged team chooses its final submissions again.
              </p>
              {link.preview.problem && (
                <p className="alert alert--warn" id="link-problem">
                  {asSentence(link.preview.problem)}
                </p>
              )}
              <div className="row">
                <button
                  className="btn btn--primary"
                  type="button"
                  disabled={busy || !!link.preview.problem}
                  aria-describedby={link.preview.problem ? 'link-problem' : undefined}
                  onClick={() => merge(link.code, link.preview!.team.name)}
                >
                  Merge into {link.preview.team.name}
                </button>
                <button className="btn" type="button" disabled={busy} onClick={dismissLink}>
                  Not now
                </button>
              </div>
            </>
          ) : (
            <p className="alert alert--error" role="alert">
              {asSentence(link.error ?? 'This invite link does not work.')}
            </p>
          )}
        </section>
      )}

      <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))' }}>
        <section className="card" aria-labelledby="team-h">
          <h2 id="team-h">
            Your team: <span data-testid="team-name">{team.name}</span>
          </h2>
          {team.disqualified && (
            <p className="alert alert--error" data-testid="team-disqualified">
              An instructor disqualified your team {formatDate(team.disqualified.at)}: {asSentence(team.disqualified.reason)} It is not ranked on the leaderboards.
            </p>
          )}
          <dl className="stats">
            <div>
              <dt>Members</dt>
              <dd data-testid="team-size">
                {team.members.length} of {team.maxTeamSize}
              </dd>
            </div>
            <div>
              <dt>Submissions</dt>
              <dd>{team.submissions}</dd>
            </div>
          </dl>
          <ul data-testid="team-members">
            {team.members.map((m, i) => (
              <li key={`${m.displayName}-${i}`}>
                {m.displayName} {m.you && <span className="badge badge--info">you</span>}
              </li>
            ))}
          </ul>
          <p className="small muted" data-testid="team-rules">
            {mergeOpen ? <>Teams merge until {formatDate(team.mergeClosesAt)}</> : <>Teams stopped merging {formatDate(team.mergeClosesAt)}</>}, up to{' '}
            {members(team.maxTeamSize)}. A merged team keeps every submission and score of both teams, and may have made at most {dailySubmissions}{' '}
            submissions for each day the competition has run.
          </p>
          <form onSubmit={rename} key={team.name}>
            <div className="field">
              <label htmlFor="team-rename">Team name</label>
              <input id="team-rename" name="name" type="text" required maxLength={120} defaultValue={team.name} />
            </div>
            <button className="btn" type="submit" disabled={busy}>
              Rename
            </button>
          </form>
        </section>

        <section className="card" aria-labelledby="invite-h">
          <h2 id="invite-h">Invite others</h2>
          <p className="small muted">Whoever opens your link, or accepts your invite, merges their team into yours.</p>
          {inviteUrl ? (
            <div className="field">
              <label htmlFor="team-link">Invite link</label>
              <div className="row">
                <input id="team-link" type="text" readOnly value={inviteUrl} onFocus={(e) => e.currentTarget.select()} style={{ flex: 1, minWidth: '12rem' }} />
                <button className="btn btn--small" type="button" onClick={() => void copy(inviteUrl)}>
                  Copy link
                </button>
              </div>
            </div>
          ) : (
            <p>
              <button className="btn" type="button" disabled={busy || !mergeOpen} onClick={makeLink}>
                Make an invite link
              </button>
            </p>
          )}
          <form onSubmit={invite}>
            <div className="field">
              <label htmlFor="team-invite">Invite a team by name</label>
              <input id="team-invite" name="teamName" type="text" required maxLength={120} autoComplete="off" />
            </div>
            <button className="btn" type="submit" disabled={busy || !mergeOpen}>
              Send invite
            </button>
          </form>
        </section>

        <section className="card" aria-labelledby="received-h">
          <h2 id="received-h">Invites to your team</h2>
          {team.invitesReceived.length === 0 ? (
            <p className="muted">No invites are waiting for an answer.</p>
          ) : (
            <>
              <p className="small muted">Accepting merges your team into the team that invited it.</p>
              <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
                {team.invitesReceived.map((i) => (
                  <li key={i.id} data-testid="invite-received">
                    <InviteLine i={i} />
                    {i.problem && (
                      <p className="alert alert--warn small" id={`problem-${i.id}`} data-testid="invite-problem">
                        {asSentence(i.problem)}
                      </p>
                    )}
                    <div className="row">
                      <button
                        className="btn btn--primary btn--small"
                        type="button"
                        disabled={busy || !!i.problem}
                        aria-describedby={i.problem ? `problem-${i.id}` : undefined}
                        onClick={() => answer(i, 'accept')}
                      >
                        Accept
                      </button>
                      <button className="btn btn--small" type="button" disabled={busy} onClick={() => answer(i, 'decline')}>
                        Decline
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>

        <section className="card" aria-labelledby="sent-h">
          <h2 id="sent-h">Invites your team sent</h2>
          {team.invitesSent.length === 0 ? (
            <p className="muted">None waiting.</p>
          ) : (
            <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
              {team.invitesSent.map((i) => (
                <li key={i.id} data-testid="invite-sent">
                  <InviteLine i={i} />
                  {i.problem && <p className="small muted">They cannot accept now: {asSentence(i.problem)}</p>}
                  <button className="btn btn--small" type="button" disabled={busy} onClick={() => answer(i, 'withdraw')}>
                    Withdraw
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="card" aria-labelledby="leave-h">
          <h2 id="leave-h">Leave the team</h2>
          <p className="small muted">You become a team of one again; the team keeps its name and link.</p>
          {team.leaveProblem && (
            <p className="small" id="leave-problem" data-testid="leave-problem">
              {asSentence(team.leaveProblem)}
            </p>
          )}
          <button className="btn btn--danger" type="button" disabled={busy || !!team.leaveProblem} aria-describedby={team.leaveProblem ? 'leave-problem' : undefined} onClick={leave}>
            Leave the team
          </button>
        </section>
      </div>
    </div>
  );
}

function InviteLine({ i }: { i: TeamInviteDto }) {
  return (
    <p style={{ margin: '0 0 0.4rem' }}>
      <strong>{i.team.name}</strong> <span className="muted small">({members(i.team.members)}, sent {formatDate(i.createdAt)})</span>
    </p>
  );
}
