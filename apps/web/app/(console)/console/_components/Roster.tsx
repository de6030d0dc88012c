'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { Role } from '@holdout/contracts';
import { send } from '@/lib/client';
import { formatDate } from '@/lib/format';
import { useAction } from './useAction';
import { Message } from './Message';

export interface MemberRow {
  userId: string;
  displayName: string;
  email: string;
  role: Role;
  joinedAt?: string;
}

export function Roster({ courseId, members, canEdit, meId }: { courseId: string; members: MemberRow[]; canEdit: boolean; meId: string }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  // The member whose removal waits for a second click.
  const [confirming, setConfirming] = useState<string | null>(null);
  const instructors = members.filter((m) => m.role === 'instructor').length;
  function remove(m: MemberRow) {
    void run(async () => {
      await send('DELETE', `/courses/${courseId}/members/${m.userId}`);
      setConfirming(null);
      router.refresh();
      return `${m.displayName} was removed from the course.`;
    });
  }
  function setRole(m: MemberRow, role: Role) {
    void run(async () => {
      await send('PUT', `/courses/${courseId}/members/${m.userId}`, { role });
      router.refresh();
      return `${m.displayName} is now ${role}.`;
    });
  }
  return (
    <>
      <Message message={message} />
      <div className="table-wrap">
        <table data-testid="roster">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col" className="hide-sm">
                Joined
              </th>
              {canEdit && (
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.userId}>
                <td>{m.displayName}</td>
                <td className="small">{m.email}</td>
                <td>
                  {canEdit ? (
                    <select aria-label={`Role of ${m.displayName}`} value={m.role} disabled={busy} onChange={(e) => setRole(m, e.target.value as Role)}>
                      <option value="student">student</option>
                      <option value="ta">ta</option>
                      <option value="instructor">instructor</option>
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td className="small hide-sm">{formatDate(m.joinedAt)}</td>
                {canEdit && (
                  <td>
                    {m.userId === meId && m.role === 'instructor' && instructors === 1 ? null : confirming === m.userId ? (
                      <span role="group" aria-label={`Remove ${m.displayName}?`}>
                        <span className="small">Remove {m.userId === meId ? 'yourself' : m.displayName}? </span>
                        <button className="btn btn--small btn--danger" type="button" disabled={busy} onClick={() => remove(m)}>
                          Yes, remove<span className="visually-hidden"> {m.displayName}</span>
                        </button>{' '}
                        <button className="btn btn--small" type="button" disabled={busy} onClick={() => setConfirming(null)}>
                          Keep<span className="visually-hidden"> {m.displayName}</span>
                        </button>
                      </span>
                    ) : (
                      <button className="btn btn--small" type="button" disabled={busy} onClick={() => setConfirming(m.userId)}>
                        Remove…<span className="visually-hidden"> {m.displayName}</span>
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
