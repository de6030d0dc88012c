import { createHash } from 'node:crypto';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { LeaderboardDto, LeaderboardEntryDto, ShakeupDto, Split } from '@holdout/contracts';
import { formatScore, rankLeaderboard, rankPrivateLeaderboard, shakeup, type LeaderboardRow } from '@holdout/metrics';
import type { Subscription } from 'rxjs';
import { DomainError } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import type { Competition } from '@holdout/db';
import { EventsBus } from '../events/events.bus.js';
import { LeaderboardsRepository, type BoardRow } from './leaderboards.repository.js';

export const PRECISION = 4;
// Invalidation arrives over pub/sub; the TTL only bounds staleness if a message is lost.
const CACHE_TTL_MS = 30_000;

export interface RenderedBoard {
  /** Serialised once per change, sent as is to every reader. */
  body: Buffer;
  etag: string;
}

@Injectable()
export class LeaderboardsService implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, { board: Promise<RenderedBoard>; until: number }>();
  private sub: Subscription | null = null;

  constructor(
    private readonly access: CompetitionAccess,
    private readonly repo: LeaderboardsRepository,
    private readonly bus: EventsBus,
  ) {}

  onModuleInit(): void {
    this.sub = this.bus.all().subscribe((e) => {
      if (e.type === 'leaderboard') this.invalidate(e.competitionId);
    });
  }
  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  invalidate(competitionId: string): void {
    this.cache.delete(`${competitionId}:public`);
    this.cache.delete(`${competitionId}:private`);
    this.access.invalidate();
  }

  async board(p: Principal, slug: string, split: Split): Promise<RenderedBoard> {
    const { c } = await this.access.visible(p, slug);
    const revealed = isRevealed(c);
    // Before the reveal the private board is empty for everyone, staff included.
    const key = `${c.id}:${split === 'private' && !revealed ? 'private-hidden' : split}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.board;
    const board = this.render(c, split, revealed);
    this.cache.set(key, { board, until: now + CACHE_TTL_MS });
    board.catch(() => this.cache.delete(key));
    return board;
  }

  private async render(c: Competition, split: Split, revealed: boolean): Promise<RenderedBoard> {
    let entries: LeaderboardEntryDto[] = [];
    if (split === 'public') {
      entries = this.entries(this.rankPublic(await this.repo.rankable(c.id, false)), 'public');
    } else if (revealed) {
      entries = this.entries(this.rankPrivate(c, await this.repo.rankable(c.id, true)), 'private');
    }
    const dto: LeaderboardDto = { split, revealed, precision: PRECISION, entries };
    const body = Buffer.from(JSON.stringify(dto));
    return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
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
    const { c } = await this.access.visible(p, slug);
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
