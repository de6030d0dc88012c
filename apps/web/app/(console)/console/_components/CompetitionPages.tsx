'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { CompetitionDto, CompetitionPagesDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { Message } from './Message';
import { useAction } from './useAction';

const PAGES: { key: keyof CompetitionPagesDto; label: string }[] = [
  { key: 'overview', label: 'Overview' },
  { key: 'data', label: 'Data' },
  { key: 'evaluation', label: 'Evaluation' },
  { key: 'rules', label: 'Rules' },
];

/** The competition's pages (Markdown), edited one at a time; saved through PATCH, audited. */
export function CompetitionPages({ c }: { c: CompetitionDto }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const [page, setPage] = useState<keyof CompetitionPagesDto>('overview');
  const [drafts, setDrafts] = useState<CompetitionPagesDto>(c.pages);

  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const label = PAGES.find((p) => p.key === page)!.label;
    void run(async () => {
      const saved = await send<CompetitionDto>('PATCH', `/competitions/${encodeURIComponent(c.slug)}`, { pages: { [page]: drafts[page] } });
      // The rules page comes back with its generated quota section: show what participants read.
      setDrafts((d) => ({ ...d, [page]: saved.pages[page] }));
      router.refresh();
      return `${label} page saved.`;
    });
  }

  return (
    <section className="card" aria-labelledby="pages-h">
      <h2 id="pages-h">Pages</h2>
      <Message message={message} />
      <form onSubmit={save}>
        <div className="field">
          <label htmlFor="p-page">Page</label>
          <select id="p-page" value={page} onChange={(e) => setPage(e.target.value as keyof CompetitionPagesDto)}>
            {PAGES.map((p) => (
              <option key={p.key} value={p.key}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="p-text">Markdown</label>
          <textarea
            id="p-text"
            rows={16}
            value={drafts[page]}
            onChange={(e) => setDrafts((d) => ({ ...d, [page]: e.target.value }))}
            aria-describedby={page === 'rules' ? 'p-rules-hint' : undefined}
            style={{ width: '100%', fontFamily: 'ui-monospace, monospace' }}
          />
          {page === 'rules' && (
            <span id="p-rules-hint" className="muted small">
              The “Submission limits” section at the end is written by the platform from the limits in Settings; edits to it are replaced.
            </span>
          )}
        </div>
        <button className="btn btn--primary" type="submit" disabled={busy}>
          Save page
        </button>
      </form>
    </section>
  );
}
