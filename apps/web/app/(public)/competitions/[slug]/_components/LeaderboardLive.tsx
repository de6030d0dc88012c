'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import type { LeaderboardEventDto, Split } from '@holdout/contracts';

/** Re-renders the (server-rendered) board when the API says it changed. */
export function LeaderboardLive({ slug, split }: { slug: string; split: Split }) {
  const router = useRouter();
  const [updated, setUpdated] = useState<string | null>(null);
  useEffect(() => {
    const es = new EventSource(`/api/competitions/${encodeURIComponent(slug)}/leaderboard/events`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    es.onmessage = (m: MessageEvent<string>) => {
      let e: LeaderboardEventDto;
      try {
        e = JSON.parse(m.data) as LeaderboardEventDto;
      } catch {
        return;
      }
      if (e.type !== 'changed' || e.split !== split) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        router.refresh();
        setUpdated(new Date().toISOString().slice(11, 19));
      }, 500);
    };
    return () => {
      clearTimeout(timer);
      es.close();
    };
  }, [slug, split, router]);
  return (
    <span className="muted small" role="status">
      {updated ? `Updated ${updated} UTC` : 'Live'}
    </span>
  );
}
