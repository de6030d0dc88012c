'use client';
import { useEffect } from 'react';
import type { SubmissionEventDto, SubmissionStatus } from '@holdout/contracts';

/** Final statuses (`complete`: a kernel run without submitting that ended well). */
export const TERMINAL: SubmissionStatus[] = ['scored', 'failed', 'cancelled', 'complete'];

/**
 * Subscribes to a submission's event stream until it reaches a terminal status. `log: 'all'`: a
 * kernel's log lines printed so far come first (again on each reconnection), then the new ones.
 */
export function useSubmissionEvents(id: string, active: boolean, onEvent: (e: SubmissionEventDto) => void, { log = 'new' }: { log?: 'new' | 'all' } = {}) {
  useEffect(() => {
    if (!active) return;
    const es = new EventSource(`/api/submissions/${encodeURIComponent(id)}/events${log === 'all' ? '?log=all' : ''}`);
    const handle = (msg: MessageEvent<string>) => {
      let ev: SubmissionEventDto;
      try {
        ev = JSON.parse(msg.data) as SubmissionEventDto;
      } catch {
        return;
      }
      onEvent(ev);
      if (ev.type === 'status' && TERMINAL.includes(ev.submission.status)) es.close();
    };
    es.onmessage = handle;
    es.addEventListener('status', handle as EventListener);
    es.addEventListener('log', handle as EventListener);
    return () => es.close();
    // onEvent is intentionally not a dependency: callers pass a fresh closure each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, active, log]);
}
