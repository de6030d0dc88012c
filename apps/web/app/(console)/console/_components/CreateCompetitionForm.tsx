'use client';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import type { CompetitionDto, CreateCompetitionRequest } from '@holdout/contracts';
import { send } from '@/lib/client';
import { useAction } from './useAction';
import { Message } from './Message';

export function CreateCompetitionForm({ courses, bundles }: { courses: { id: string; name: string }[]; bundles: string[] }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    const body: CreateCompetitionRequest = { bundle: str('bundle'), courseId: str('courseId') };
    if (str('slug')) body.slug = str('slug');
    if (str('visibility')) body.visibility = str('visibility') as 'course' | 'public';
    if (str('opensAt')) body.opensAt = new Date(`${str('opensAt')}Z`).toISOString();
    if (str('closesAt')) body.closesAt = new Date(`${str('closesAt')}Z`).toISOString();
    void run(async () => {
      const c = await send<CompetitionDto>('POST', '/competitions', body);
      router.push(`/console/competitions/${c.slug}`);
      router.refresh();
      return `Created ${c.title}.`;
    });
  }
  return (
    <form onSubmit={onSubmit}>
      <Message message={message} />
      <div className="field">
        <label htmlFor="comp-bundle">Bundled competition</label>
        <input id="comp-bundle" name="bundle" type="text" list="bundles" required aria-describedby="comp-bundle-hint" defaultValue={bundles[0]} />
        <datalist id="bundles">
          {bundles.map((b) => (
            <option key={b} value={b} />
          ))}
        </datalist>
        <span className="hint" id="comp-bundle-hint">
          A folder under <code>competitions/</code> on the server.
        </span>
      </div>
      <div className="field">
        <label htmlFor="comp-course">Course</label>
        <select id="comp-course" name="courseId" required>
          {courses.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="comp-slug">Slug (optional)</label>
        <input id="comp-slug" name="slug" type="text" pattern="[a-z0-9][a-z0-9-]*" aria-describedby="comp-slug-hint" />
        <span className="hint" id="comp-slug-hint">
          Lower-case letters, digits and dashes; defaults to the bundle&apos;s name.
        </span>
      </div>
      <div className="field">
        <label htmlFor="comp-vis">Visibility</label>
        <select id="comp-vis" name="visibility" defaultValue="course">
          <option value="course">Course members</option>
          <option value="public">Everyone signed in</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="comp-opens">Opens at (UTC, optional)</label>
        <input id="comp-opens" name="opensAt" type="datetime-local" />
      </div>
      <div className="field">
        <label htmlFor="comp-closes">Closes at (UTC, optional)</label>
        <input id="comp-closes" name="closesAt" type="datetime-local" />
      </div>
      <button className="btn btn--primary" type="submit" disabled={busy}>
        Create competition
      </button>
    </form>
  );
}
