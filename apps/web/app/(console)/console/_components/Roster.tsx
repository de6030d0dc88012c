'use client';
import { useRouter } from 'next/navigation';
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

export function Roster({ courseId, members, canEdit }: { courseId: string; members: MemberRow[]; canEdit: boolean }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
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
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
