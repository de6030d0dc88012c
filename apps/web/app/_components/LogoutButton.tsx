'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { send } from '@/lib/client';

export function LogoutButton() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  async function logout() {
    setBusy(true);
    try {
      await send('POST', '/auth/logout');
    } catch {
      // the session may already be gone; leave either way
    }
    router.push('/login');
    router.refresh();
  }
  return (
    <button type="button" className="btn btn--small" onClick={logout} disabled={busy}>
      Sign out
    </button>
  );
}
