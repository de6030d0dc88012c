'use client';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { NotificationDto, NotificationsDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { formatAgo, formatDate } from '@/lib/format';

const PANEL_ID = 'notifications-panel';
const TITLE_ID = 'notifications-title';

/**
 * The header's bell: the unread count, kept live by `/api/notifications/events`, and a panel
 * (a non-modal dialog) with the latest notifications, "Mark all as read" and the e-mail switch.
 * Focus moves into the panel when it opens; Escape closes it and gives focus back to the bell;
 * a click or focus outside closes it.
 */
export function NotificationBell() {
  const [unread, setUnread] = useState<number | null>(null);
  const [data, setData] = useState<NotificationsDto | null>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');
  const wrapRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef(false);
  useEffect(() => {
    openRef.current = open;
  }, [open]);
  const unreadRef = useRef<number | null>(null);

  const apply = useCallback((dto: NotificationsDto) => {
    setData(dto);
    setUnread((unreadRef.current = dto.unread));
  }, []);

  const load = useCallback(async () => {
    try {
      apply(await send<NotificationsDto>('GET', '/notifications'));
    } catch (err) {
      setError((err as Error).message);
    }
  }, [apply]);

  // The stream answers the count at once, then again with each new notification.
  useEffect(() => {
    const es = new EventSource('/api/notifications/events');
    let first = true;
    es.onmessage = (m: MessageEvent<string>) => {
      let e: { type?: string; unread?: number };
      try {
        e = JSON.parse(m.data) as typeof e;
      } catch {
        return;
      }
      if (e.type !== 'notifications' || typeof e.unread !== 'number') return;
      const before = unreadRef.current;
      if (!first && before !== null && e.unread > before) setAnnounce(e.unread === 1 ? '1 unread notification' : `${e.unread} unread notifications`);
      first = false;
      setUnread((unreadRef.current = e.unread));
      if (openRef.current) void load();
    };
    return () => es.close();
  }, [load]);

  useEffect(() => {
    if (!open) return;
    panelRef.current?.focus();
    const onPointer = (e: PointerEvent) => {
      if (wrapRef.current && !wrapRef.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  function toggle() {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setError(null);
    void load();
  }

  function close() {
    setOpen(false);
    buttonRef.current?.focus();
  }

  async function update(path: string, method: string, body: unknown) {
    setBusy(true);
    try {
      apply(await send<NotificationsDto>(method, path, body));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
      void load(); // back to what the server holds
    } finally {
      setBusy(false);
    }
  }

  function follow(n: NotificationDto) {
    setOpen(false);
    if (n.read || !data) return;
    // Shown as read at once; the answer brings the count from the server.
    setData({ ...data, unread: Math.max(0, data.unread - 1), items: data.items.map((i) => (i.id === n.id ? { ...i, read: true } : i)) });
    if (unreadRef.current !== null) setUnread((unreadRef.current = Math.max(0, unreadRef.current - 1)));
    void update('/notifications/read', 'POST', { ids: [n.id] });
  }

  const count = unread ?? 0;
  const label = count ? `Notifications, ${count} unread` : 'Notifications';
  return (
    <div
      className="notif"
      ref={wrapRef}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          close();
        }
      }}
      onBlur={(e) => {
        if (open && e.relatedTarget && !e.currentTarget.contains(e.relatedTarget as Node)) setOpen(false);
      }}
    >
      <button
        ref={buttonRef}
        type="button"
        className="btn btn--small notif__button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={open ? PANEL_ID : undefined}
        onClick={toggle}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            strokeLinejoin="round"
            d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0"
          />
        </svg>
        {count > 0 && (
          <span className="notif__count" aria-hidden="true" data-testid="notifications-count">
            {count > 99 ? '99+' : count}
          </span>
        )}
      </button>
      <span className="visually-hidden" role="status">
        {announce}
      </span>
      {open && (
        <div id={PANEL_ID} ref={panelRef} className="notif__panel" role="dialog" aria-labelledby={TITLE_ID} tabIndex={-1}>
          <div className="notif__head">
            <h2 id={TITLE_ID}>Notifications</h2>
            <button type="button" className="btn btn--small" disabled={busy || !data || data.unread === 0} onClick={() => void update('/notifications/read', 'POST', {})}>
              Mark all as read
            </button>
          </div>
          {error && (
            <p className="alert alert--error small" role="alert">
              {error}
            </p>
          )}
          {!data ? (
            <p className="muted small">Loading…</p>
          ) : data.items.length === 0 ? (
            <p className="muted small">Nothing yet. Finished notebooks, reveals and team invitations show up here.</p>
          ) : (
            <ul className="notif__list" data-testid="notifications">
              {data.items.map((n) => (
                <li key={n.id} className={n.read ? 'notif__item' : 'notif__item is-unread'}>
                  <Link href={n.link} onClick={() => follow(n)}>
                    {!n.read && <span className="visually-hidden">Unread: </span>}
                    {n.title}
                  </Link>
                  <time className="muted small" dateTime={n.createdAt} title={formatDate(n.createdAt)}>
                    {formatAgo(n.createdAt)}
                  </time>
                </li>
              ))}
            </ul>
          )}
          <label className="notif__email">
            <input
              type="checkbox"
              checked={data?.emailNotifications ?? false}
              disabled={!data || busy}
              onChange={(e) => {
                const emailNotifications = e.target.checked;
                setData({ ...data!, emailNotifications });
                void update('/me/preferences', 'PUT', { emailNotifications });
              }}
            />
            E-mail me too
          </label>
        </div>
      )}
    </div>
  );
}
