'use client';
import { useState } from 'react';
import { ClientApiError } from '@/lib/client';

/** Runs one API action at a time and keeps its outcome for an aria-live message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  async function run(fn: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ kind: 'ok', text: await fn() });
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof ClientApiError ? err.message : 'The server could not be reached.' });
    } finally {
      setBusy(false);
    }
  }
  return { busy, message, run };
}
