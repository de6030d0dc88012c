import type { Redis } from 'ioredis';
import type { EntityManager } from 'typeorm';

export type NotificationKind = 'kernel-finished' | 'kernel-failed' | 'model-finished' | 'model-failed' | 'reveal' | 'team-invite';

/** Message on a user's channel: they have a new notification (the API renders it for them). */
export interface UserNotificationEvent {
  type: 'notification';
  userId: string;
}

export const userChannel = (prefix: string, userId: string) => `${prefix}:events:user:${userId}`;

/**
 * The one writer of notifications (API and worker): a row per recipient, then a message on each
 * recipient's channel. Recipients are the members of a team or every participant of a
 * competition. E-mail goes out from the API's dispatcher (its `email_state` queue). Call after
 * the change it tells of has committed: a notification never points at a state that rolled back.
 */
export class Notifier {
  constructor(
    private readonly redis: Pick<Redis, 'publish'>,
    private readonly prefix: string,
  ) {}

  async toTeam(m: EntityManager, teamId: string, n: { kind: NotificationKind; title: string; link: string }): Promise<number> {
    return this.insert(m, 'SELECT user_id FROM team_members WHERE team_id = $4', teamId, n);
  }

  /**
   * As `toTeam`, but not to a member who already has a notification of this kind with this link:
   * for news that happens once (a submission's end), told again by a retried job or a sweeper
   * that cannot know whether the first telling was recorded.
   */
  async toTeamOnce(m: EntityManager, teamId: string, n: { kind: NotificationKind; title: string; link: string }): Promise<number> {
    return this.insert(
      m,
      'SELECT t.user_id FROM team_members t WHERE t.team_id = $4 AND NOT EXISTS (SELECT 1 FROM notifications x WHERE x.user_id = t.user_id AND x.kind = $1 AND x.link = $3)',
      teamId,
      n,
    );
  }

  /** Everyone on a team in the competition (who took part). */
  async toParticipants(m: EntityManager, competitionId: string, n: { kind: NotificationKind; title: string; link: string }): Promise<number> {
    return this.insert(m, 'SELECT user_id FROM team_members WHERE competition_id = $4', competitionId, n);
  }

  private async insert(m: EntityManager, recipients: string, key: string, n: { kind: NotificationKind; title: string; link: string }): Promise<number> {
    const rows = (await m.query(`INSERT INTO notifications (user_id, kind, title, link) SELECT DISTINCT r.user_id, $1, $2, $3 FROM (${recipients}) r RETURNING user_id`, [
      n.kind,
      n.title.slice(0, 300),
      n.link,
      key,
    ])) as { user_id: string }[];
    for (const r of rows) await this.redis.publish(userChannel(this.prefix, r.user_id), JSON.stringify({ type: 'notification', userId: r.user_id } satisfies UserNotificationEvent));
    return rows.length;
  }
}
