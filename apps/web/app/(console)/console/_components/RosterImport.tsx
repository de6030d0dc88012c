'use client';
import { useRouter } from 'next/navigation';
import { useState, type ChangeEvent } from 'react';
import type { RosterImportDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { useAction } from './useAction';
import { Message } from './Message';

type RowStatus = RosterImportDto['rows'][number]['status'];

const STATUS_WORDS: Record<RowStatus, string> = {
  invalid: 'invalid',
  member: 'already a member',
  joins: 'joins the course',
  'joins-on-sign-up': 'joins on signing up (no account yet)',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function summary(r: RosterImportDto): string {
  const c = r.counts;
  const parts = [
    `${plural(c.joins, 'account')} ${r.applied ? 'joined' : 'would join'}`,
    `${plural(c.joinsOnSignUp, 'address', 'addresses')} ${r.applied ? 'will join' : 'would join'} on signing up`,
    `${plural(c.members, 'member')} already in the course`,
  ];
  if (c.invalid > 0) parts.push(`${plural(c.invalid, 'invalid row')}`);
  return `${r.applied ? 'Imported' : 'Checked'}: ${parts.join('; ')}.`;
}

/** Instructors: a roster CSV (`email`, optional `role` student|ta), checked first, then imported whole. */
export function RosterImport({ courseId }: { courseId: string }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const [csv, setCsv] = useState('');
  // The preview belongs to the text it was made from; editing the text asks for a new check.
  const [preview, setPreview] = useState<{ csv: string; result: RosterImportDto } | null>(null);
  const path = `/courses/${encodeURIComponent(courseId)}/roster`;
  const current = preview && preview.csv === csv ? preview.result : null;
  const canImport = !!current && !current.applied && current.counts.invalid === 0 && current.rows.length > 0;

  async function readFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    if (file) setCsv(await file.text());
  }
  function check() {
    void run(async () => {
      const result = await send<RosterImportDto>('POST', path, { csv });
      setPreview({ csv, result });
      return summary(result);
    });
  }
  function apply() {
    void run(async () => {
      const result = await send<RosterImportDto>('POST', path, { csv, apply: true });
      setPreview({ csv, result });
      router.refresh();
      return summary(result);
    });
  }

  return (
    <>
      <div className="field">
        <label htmlFor="roster-csv">Roster CSV (a header with email, and optionally role: student or ta)</label>
        <textarea id="roster-csv" rows={6} value={csv} onChange={(e) => setCsv(e.target.value)} spellCheck={false} placeholder={'email,role\nada@example.edu,student'} />
      </div>
      <div className="field">
        <label htmlFor="roster-file">Or read a CSV file</label>
        <input id="roster-file" type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void readFile(e)} />
      </div>
      <button className="btn" type="button" disabled={busy || csv.trim() === ''} onClick={check}>
        Check
      </button>{' '}
      <button className="btn btn--primary" type="button" disabled={busy || !canImport} onClick={apply} aria-describedby="roster-import-hint">
        Import
      </button>
      <p id="roster-import-hint" className="muted small">
        Import is possible once a check finds no invalid rows; nothing is imported while any row is invalid.
      </p>
      <Message message={message} />
      {current && current.rows.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="The roster as checked">
          <table data-testid="roster-preview">
            <caption className="visually-hidden">{current.applied ? 'Imported roster' : 'Roster check'}</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Row
                </th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {current.rows.map((r) => (
                <tr key={r.row} data-status={r.status}>
                  <td className="num">{r.row}</td>
                  <td className="small">{r.email}</td>
                  <td>{r.role}</td>
                  <td>{STATUS_WORDS[r.status]}</td>
                  <td className="small">{r.problem ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
