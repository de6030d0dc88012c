import { Body, Controller, Get, HttpCode, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown, Post, Put, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { NotificationDto, NotificationsDto } from '@holdout/contracts';
import { APP_CONFIG, type AppConfig, JsonLogger, type UserNotificationEvent } from '@holdout/db';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { parseWith } from '../../common/zod-body.js';
import { openSse } from '../../common/sse.js';
import { AuthModule } from '../auth/auth.module.js';
import { Mailer } from '../auth/mailer.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { EventsBus } from '../events/events.bus.js';

const readSchema = z.strictObject({ ids: z.array(z.uuid()).max(500).optional() });
const prefsSchema = z.strictObject({ emailNotifications: z.boolean() });

/** How often the mail dispatcher looks for notifications to mail, and how many it takes at once. */
const MAIL_EVERY_MS = 2_000;
const MAIL_BATCH = 50;

@Injectable()
export class NotificationsService {
  constructor(private readonly ds: DataSource) {}

  async list(userId: string): Promise<NotificationsDto> {
    const rows = (await this.ds.query('SELECT id, kind, title, link, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50', [userId])) as {
      id: string;
      kind: NotificationDto['kind'];
      title: string;
      link: string;
      created_at: Date;
      read_at: Date | null;
    }[];
    const [{ unread, email } = { unread: '0', email: true }] = (await this.ds.query(
      'SELECT (SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL) AS unread, u.email_notifications AS email FROM users u WHERE u.id = $1',
      [userId],
    )) as { unread: string; email: boolean }[];
    return {
      unread: Number(unread),
      emailNotifications: email,
      items: rows.map((r) => ({ id: r.id, kind: r.kind, title: r.title, link: r.link, createdAt: r.created_at.toISOString(), read: r.read_at !== null })),
    };
  }

  async markRead(userId: string, body: unknown): Promise<NotificationsDto> {
    const { ids } = parseWith(readSchema, body ?? {});
    if (ids) await this.ds.query('UPDATE notifications SET read_at = now() WHERE user_id = $1 AND id = ANY($2) AND read_at IS NULL', [userId, ids]);
    else await this.ds.query('UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL', [userId]);
    return this.list(userId);
  }

  async setEmail(userId: string, body: unknown): Promise<NotificationsDto> {
    const { emailNotifications } = parseWith(prefsSchema, body);
    await this.ds.query('UPDATE users SET email_notifications = $2 WHERE id = $1', [userId, emailNotifications]);
    return this.list(userId);
  }
}

/**
 * Mails notifications: every few seconds it claims a batch still `pending` (FOR UPDATE SKIP
 * LOCKED, so API replicas share the work without sending twice) and sends each through the
 * mail transport, or marks it `skipped` when its user switched e-mail off; a send that fails is
 * `failed` and logged, never retried in a loop.
 */
@Injectable()
export class NotificationMailer implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly mailer: Mailer,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.busy ??= this.drain()
        .catch((err: unknown) => this.logger.write('warn', 'notification mail round failed', { err: String(err) }))
        .finally(() => (this.busy = null));
    }, MAIL_EVERY_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }

  /** One round: claims and mails what is pending. */
  async drain(): Promise<void> {
    const batch = await this.ds.transaction(async (m) => {
      const rows = (await m.query(
        `SELECT n.id, n.title, n.link, u.email, u.email_notifications FROM notifications n JOIN users u ON u.id = n.user_id
          WHERE n.email_state = 'pending' ORDER BY n.created_at LIMIT ${MAIL_BATCH} FOR UPDATE OF n SKIP LOCKED`,
      )) as { id: string; title: string; link: string; email: string; email_notifications: boolean }[];
      await m.query(`UPDATE notifications SET email_state = CASE WHEN id = ANY($2) THEN 'skipped' ELSE 'sent' END WHERE id = ANY($1)`, [
        rows.map((r) => r.id),
        rows.filter((r) => !r.email_notifications).map((r) => r.id),
      ]);
      return rows.filter((r) => r.email_notifications);
    });
    for (const r of batch) {
      try {
        await this.mailer.send({ to: r.email, subject: r.title, text: `${r.title}\n\n${this.config.webUrl}${r.link}\n\nYou can switch these e-mails off in Holdout (the bell, then "E-mail me too").\n` });
      } catch (err) {
        await this.ds.query(`UPDATE notifications SET email_state = 'failed' WHERE id = $1`, [r.id]);
        this.logger.write('warn', 'notification mail not sent', { notificationId: r.id, err: String(err) });
      }
    }
  }
}

@ApiTags('notifications')
@Controller()
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly bus: EventsBus,
  ) {}

  /** The viewer's latest 50 notifications and the unread count. */
  @Get('notifications')
  list(@CurrentUser() p: Principal): Promise<NotificationsDto> {
    return this.notifications.list(p.userId);
  }

  /** `{ids?}`: marks those (or all) as read. */
  @Post('notifications/read')
  @HttpCode(200)
  read(@CurrentUser() p: Principal, @Body() body: unknown): Promise<NotificationsDto> {
    return this.notifications.markRead(p.userId, body);
  }

  /** `{emailNotifications}`: whether notifications are also mailed. */
  @Put('me/preferences')
  preferences(@CurrentUser() p: Principal, @Body() body: unknown): Promise<NotificationsDto> {
    return this.notifications.setEmail(p.userId, body);
  }

  /** The unread count now, then again with each new notification of the viewer (never anyone else's). */
  @Get('notifications/events')
  async events(@CurrentUser() p: Principal, @Req() req: Request, @Res() res: Response): Promise<void> {
    const stream = openSse(req, res);
    const send = async () => stream.send({ type: 'notifications', unread: (await this.notifications.list(p.userId)).unread });
    const sub = this.bus.all().subscribe((e) => {
      const n = e as unknown as UserNotificationEvent;
      if ((n.type === 'notification' && n.userId === p.userId) || e.type === 'resync') void send().catch(() => undefined);
    });
    stream.onClose(() => sub.unsubscribe());
    await send();
  }
}

@Module({ imports: [AuthModule], controllers: [NotificationsController], providers: [NotificationsService, NotificationMailer] })
export class NotificationsModule {}
