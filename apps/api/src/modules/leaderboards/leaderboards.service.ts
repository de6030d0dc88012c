import { createHash, createHmac } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { boardFrozenSince } from '@holdout/rules';
import type { LeaderboardDto, LeaderboardEntryDto, ShakeupDto, Split } from '@holdout/contracts';
import { formatScore, rankLeaderboard, rankPrivateLeaderboard, shakeup, type LeaderboardRow } from '@holdout/metrics';
import type { Subscription } from 'rxjs';
import { DomainError } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import { APP_CONFIG, type AppConfig, type Competition } from '@holdout/db';
import { boardSettingsOf } from '../competitions/settings.js';
import { EventsBus } from '../events/events.bus.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { LeaderboardsRepository, type BoardRow } from './leaderboards.repository.js';

export const PRECISION = 4;
// Invalidation arrives over pub/sub; the TTL only bounds staleness if a message is lost.
const CACHE_TTL_MS = 30_000;

export interface RenderedBoard {
  dto: LeaderboardDto;
  /** Serialised once per change, sent as is to every reader of the same view. */
  body: Buffer;
  etag: string;
}

function rendered(dto: LeaderboardDto): RenderedBoard {
  const body = Buffer.from(JSON.stringify(dto));
  return { dto, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

// Pseudonyms of anonymous boards: an adjective, an animal and four hex digits (no two teams alike in practice).
const ADJECTIVES = ['Amber', 'Azure', 'Bold', 'Brave', 'Bright', 'Calm', 'Clever', 'Coral', 'Crimson', 'Daring', 'Eager', 'Fleet', 'Gentle', 'Golden', 'Happy', 'Indigo', 'Jade', 'Keen', 'Lively', 'Lucky', 'Mellow', 'Misty', 'Nimble', 'Olive', 'Proud', 'Quick', 'Quiet', 'Rapid', 'Ruby', 'Sage', 'Silver', 'Sunny', 'Swift', 'Teal', 'Tidy', 'Vivid', 'Warm', 'Wise', 'Witty', 'Zesty'];
const ANIMALS = ['Badger', 'Bison', 'Crane', 'Dolphin', 'Eagle', 'Falcon', 'Ferret', 'Finch', 'Fox', 'Gecko', 'Heron', 'Ibis', 'Jackal', 'Koala', 'Lemur', 'Lynx', 'Marmot', 'Moose', 'Newt', 'Otter', 'Owl', 'Panda', 'Puffin', 'Quail', 'Raven', 'Robin', 'Salmon', 'Seal', 'Stork', 'Tapir', 'Tiger', 'Toucan', 'Turtle', 'Viper', 'Walrus', 'Wombat', 'Wren', 'Yak', 'Zebra', 'Hare'];

@Injectable()
export class LeaderboardsService implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, { board: Promise<RenderedBoard>; until: number }>();
  private sub: Subscription | null = null;

  constructor(
    private readonly access: CompetitionAccess,
    private readonly repo: LeaderboardsRepository,
    private readonly submissions: SubmissionsRepository,
    private readonly bus: EventsBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.sub = this.bus.all().subscribe((e) => {
      if (e.type === 'leaderboard') this.invalidate(e.competitionId);
      // Changes published while the bus was away went unheard: every board is read again.
      else if (e.type === 'resync') this.invalidateAll();
    });
  }
  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  invalidateAll(): void {
    this.cache.clear();
    this.access.invalidate();
  }

  invalidate(competitionId: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${competitionId}:`)) this.cache.delete(key);
    this.access.invalidate();
  }

  /**
   * A board as the viewer may see it. Staff: the live board with names. Participants: during the
   * freeze, the public board as it stood when it began; in an anonymous competition, other teams
   * under stable pseudonyms (their own team keeps its name). Boards are rendered once per change
   * and per view (live or frozen) and shared; only the pseudonyms are applied per viewer.
   */
  async board(p: Principal, slug: string, split: Split): Promise<RenderedBoard> {
    const { c, role } = await this.access.visible(p, slug);
    const staff = p.isAdmin || role === 'instructor' || role === 'ta';
    const revealed = isRevealed(c);
    const settings = boardSettingsOf(c);
    const frozenSince = !staff && split === 'public' ? boardFrozenSince({ now: new Date(), opensAt: c.opensAt, closesAt: c.closesAt, freezeDays: settings.freezeDays, revealed }) : null;
    const base = await this.shared(c, split, revealed, frozenSince);
    if (staff || !settings.anonymous) return base;
    const own = await this.submissions.teamOf(c.id, p.userId);
    const dto: LeaderboardDto = { ...base.dto, anonymous: true, entries: base.dto.entries.map((e) => (e.teamId === own ? e : { ...e, teamName: this.pseudonym(c.id, e.teamId) })) };
    return rendered(dto);
  }

  /** A stable pseudonym of a team in a competition (an HMAC of both under the session secret: not reversible by participants). */
  pseudonym(competitionId: string, teamId: string): string {
    const h = createHmac('sha256', this.config.sessionSecret).update(`pseudonym:${competitionId}:${teamId}`).digest();
    return `${ADJECTIVES[h[0]! % ADJECTIVES.length]} ${ANIMALS[h[1]! % ANIMALS.length]} ${h.readUInt16BE(2).toString(16).padStart(4, '0')}`;
  }

  private shared(c: Competition, split: Split, revealed: boolean, frozenSince: Date | null): Promise<RenderedBoard> {
    // Before the reveal the private board is empty for everyone, staff included.
    const key = `${c.id}:${split === 'private' && !revealed ? 'private-hidden' : split}${frozenSince ? `:frozen-${frozenSince.getTime()}` : ''}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.board;
    const board = this.render(c, split, revealed, frozenSince);
    this.cache.set(key, { board, until: now + CACHE_TTL_MS });
    board.catch(() => this.cache.delete(key));
    return board;
  }

  private async render(c: Competition, split: Split, revealed: boolean, frozenSince: Date | null): Promise<RenderedBoard> {
    let entries: LeaderboardEntryDto[] = [];
    if (split === 'public') {
      entries = this.entries(this.rankPublic(await this.repo.rankable(c.id, false, frozenSince)), 'public');
    } else if (revealed) {
      entries = this.entries(this.rankPrivate(c, await this.repo.rankable(c.id, true)), 'private');
    }
    return rendered({ split, revealed, precision: PRECISION, entries, frozenSince: frozenSince?.toISOString() ?? null, anonymous: false });
  }

  private rankPublic(rows: BoardRow[]) {
    return rankLeaderboard({ submissions: rows.map((r) => ({ ...r, score: r.publicScore })), split: 'public' }).rows;
  }

  private rankPrivate(c: Competition, rows: BoardRow[]) {
    return rankPrivateLeaderboard({ submissions: rows, finalSelections: c.finalSelections }).rows;
  }

  private entries(rows: LeaderboardRow<BoardRow>[], split: Split): LeaderboardEntryDto[] {
    return rows.map((r) => ({
      rank: r.rank,
      teamId: r.teamId,
      teamName: r.submission.teamName,
      score: r.score,
      display: formatScore({ score: r.score, precision: PRECISION }),
      submissionId: r.submissionId,
      submittedAt: r.submittedAt.toISOString(),
      entries: r.entries,
      interval: split === 'public' ? r.submission.publicInterval : r.submission.privateInterval,
      tied: r.tied,
    }));
  }

  /** Each ranked team's rank and score on both boards (the private one only once revealed), for the grades export. */
  async standings(c: Competition): Promise<{ public: Map<string, { rank: number; score: number }>; private: Map<string, { rank: number; score: number }> | null }> {
    const revealed = isRevealed(c);
    const rows = await this.repo.rankable(c.id, revealed);
    const toMap = (ranked: LeaderboardRow<BoardRow>[]) => new Map(ranked.map((r) => [r.teamId, { rank: r.rank, score: r.score }]));
    return { public: toMap(this.rankPublic(rows)), private: revealed ? toMap(this.rankPrivate(c, rows)) : null };
  }

  async shakeup(p: Principal, slug: string): Promise<ShakeupDto> {
    const { c, role } = await this.access.visible(p, slug);
    const dto = await this.shakeupOf(c);
    if (p.isAdmin || role === 'instructor' || role === 'ta' || !boardSettingsOf(c).anonymous) return dto;
    // Participants of an anonymous competition: other teams under their pseudonyms.
    const own = await this.submissions.teamOf(c.id, p.userId);
    const named = <T extends { teamId: string; teamName: string }>(t: T): T => (t.teamId === own ? t : { ...t, teamName: this.pseudonym(c.id, t.teamId) });
    return { ...dto, teams: dto.teams.map(named), entered: dto.entered.map(named), left: dto.left.map(named) };
  }

  private async shakeupOf(c: Competition): Promise<ShakeupDto> {
    if (!isRevealed(c)) throw new DomainError('conflict', 'the shake-up is available once the private leaderboard is revealed');
    const rows = await this.repo.rankable(c.id, true);
    const pub = new Map(this.rankPublic(rows).map((r) => [r.teamId, r]));
    const priv = this.rankPrivate(c, rows);
    const teams = priv
      .filter((r) => pub.has(r.teamId))
      .map((r) => {
        const pr = pub.get(r.teamId)!;
        return { teamId: r.teamId, teamName: r.submission.teamName, publicRank: pr.rank, privateRank: r.rank, publicScore: pr.score, privateScore: r.score, cvScore: r.submission.cvScore };
      });
    const s = shakeup({ teams });
    const name = new Map(teams.map((t) => [t.teamId, t.teamName]));
    return {
      teams: s.teams.map((t) => ({
        teamId: t.teamId,
        teamName: t.teamName,
        publicRank: t.publicRank,
        privateRank: t.privateRank,
        change: t.change,
        publicScore: t.publicScore,
        privateScore: t.privateScore,
        cvScore: t.cvScore,
        publicMedal: t.publicMedal,
        privateMedal: t.privateMedal,
      })),
      spearman: s.spearman,
      kendall: s.kendall,
      meanAbsRankChange: s.meanAbsRankChange,
      medalCutoffs: s.medalCutoffs,
      entered: s.entered.map((m) => ({ teamId: m.teamId, teamName: name.get(m.teamId) ?? '', medal: m.medal })),
      left: s.left.map((m) => ({ teamId: m.teamId, teamName: name.get(m.teamId) ?? '', medal: m.medal })),
    };
  }
}
