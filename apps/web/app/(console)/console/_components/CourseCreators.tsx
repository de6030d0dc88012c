'use client';
import { useState, type FormEvent } from 'react';
import type { AdminUserDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { useAction } from './useAction';
import { Message } from './Message';

/** Site admins: find accounts by e-mail and allow or forbid each to open courses. */
export function CourseCreators() {
  const { busy, message, run } = useAction();
  const [users, setUsers] = useState<AdminUserDto[] | null>(null);
  const [query, setQuery] = useState('');

  function search(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    void run(async () => {
      const found = await send<AdminUserDto[]>('GET', `/admin/users?email=${encodeURIComponent(query.trim())}`);
      setUsers(found);
      return found.length === 0 ? 'No account matches.' : `${found.length} account${found.length === 1 ? '' : 's'}.`;
    });
  }

  function toggle(user: AdminUserDto) {
    void run(async () => {
      const updated = await send<AdminUserDto>('PUT', `/admin/users/${user.id}/course-creator`, { allowed: !user.canCreateCourses });
      setUsers((list) => list?.map((u) => (u.id === updated.id ? updated : u)) ?? null);
      return `${updated.email} ${updated.canCreateCourses ? 'may now create courses' : 'may no longer create courses'}.`;
    });
  }

  return (
    <>
      <form onSubmit={search}>
        <div className="field">
          <label htmlFor="creator-email">E-mail contains</label>
          <input id="creator-email" type="search" value={query} onChange={(e) => setQuery(e.target.value)} maxLength={200} />
        </div>
        <button className="btn" type="submit" disabled={busy}>
          Find accounts
        </button>
      </form>
      <Message message={message} />
      {users && users.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">May create courses</th>
                <th scope="col">
                  <span className="visually-hidden">Change</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>
                    {u.displayName} <span className="muted small">{u.email}</span>
                  </td>
                  <td>{u.isAdmin ? 'yes (site admin)' : u.canCreateCourses ? 'yes' : 'no'}</td>
                  <td>
                    {!u.isAdmin && (
                      <button className="btn btn--small" type="button" disabled={busy} onClick={() => toggle(u)}>
                        {u.canCreateCourses ? 'Withdraw' : 'Allow'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
