'use client';
import { useState } from 'react';
import { ClientApiError } from '@/lib/client';

export interface ActionMessage {
  kind: 'ok' | 'error';
  text: string;
  /** The API's `error.details`, one line each (e.g. which file and field of an uploaded bundle is wrong). */
  details?: string[];
}

function detailLines(details: unknown): string[] | undefined {
  if (!Array.isArray(details) || details.length === 0) return undefined;
  return details.map((d) => {
    if (typeof d === 'string') return d;
    if (d && typeof d === 'object') {
      const o = d as Record<string, unknown>;
      const where = [o.file, o.field ?? o.path].filter((x) => typeof x === 'string' && x).join(' · ');
      if (typeof o.message === 'string') return where ? `${where}: ${o.message}` : o.message;
    }
    return JSON.stringify(d);
  });
}

/** Runs one API action at a time and keeps its outcome for an aria-live message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<ActionMessage | null>(null);
  async function run(fn: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ kind: 'ok', text: await fn() });
    } catch (err) {
      setMessage(
        err instanceof ClientApiError ? { kind: 'error', text: err.message, details: detailLines(err.details) } : { kind: 'error', text: 'The server could not be reached.' },
      );
    } finally {
      setBusy(false);
    }
  }
  return { busy, message, run };
}
