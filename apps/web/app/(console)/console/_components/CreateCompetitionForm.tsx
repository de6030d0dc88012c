'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { BundleDto, CompetitionDto, CreateCompetitionRequest } from '@holdout/contracts';
import { send } from '@/lib/client';
import { postWithProgress } from '@/lib/upload';
import { useAction } from './useAction';
import { Message } from './Message';

export function CreateCompetitionForm({ courses, bundles }: { courses: { id: string; name: string }[]; bundles: BundleDto[] }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const [source, setSource] = useState<'bundled' | 'upload'>('bundled');
  const [progress, setProgress] = useState<number | null>(null);
  const [checking, setChecking] = useState<string | null>(null);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    const fields: Omit<CreateCompetitionRequest, 'bundle'> = { courseId: str('courseId') };
    if (str('slug')) fields.slug = str('slug');
    if (str('title')) fields.title = str('title');
    if (str('visibility')) fields.visibility = str('visibility') as 'course' | 'public';
    if (str('opensAt')) fields.opensAt = new Date(`${str('opensAt')}Z`).toISOString();
    if (str('closesAt')) fields.closesAt = new Date(`${str('closesAt')}Z`).toISOString();
    const archive = f.get('bundleFile');
    void run(async () => {
      let c: CompetitionDto;
      if (source === 'upload') {
        // Multipart: the archive in `bundle`, the other fields as in the JSON form.
        const body = new FormData();
        for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, String(v));
        // The server checks the archive after the upload: follow that check's steps meanwhile.
        const checkId = crypto.randomUUID();
        body.set('checkId', checkId);
        const steps = new EventSource(`/api/bundles/checks/${checkId}/events`);
        steps.onmessage = (m: MessageEvent<string>) => setChecking(describeCheck(JSON.parse(m.data) as CheckProgress));
        if (archive instanceof File && archive.size > 0) body.set('bundle', archive, archive.name);
        try {
          c = await postWithProgress<CompetitionDto>('/competitions', body, setProgress);
        } finally {
          steps.close();
          setProgress(null);
          setChecking(null);
        }
      } else {
        c = await send<CompetitionDto>('POST', '/competitions', { ...fields, bundle: str('bundle') });
      }
      router.push(`/console/competitions/${c.slug}`);
      router.refresh();
      return `Created ${c.title}.`;
    });
  }
  return (
    <form onSubmit={onSubmit}>
      <Message message={message} />
      <fieldset>
        <legend>Where the competition comes from</legend>
        <div className="choices">
          <label>
            <input type="radio" name="source" value="bundled" checked={source === 'bundled'} onChange={() => setSource('bundled')} />
            Bundled competition
          </label>
          <label>
            <input type="radio" name="source" value="upload" checked={source === 'upload'} onChange={() => setSource('upload')} />
            Upload a bundle (.tar.gz)
          </label>
        </div>
      </fieldset>
      {source === 'bundled' ? (
        <div className="field">
          <label htmlFor="comp-bundle">Competition bundle</label>
          <select id="comp-bundle" name="bundle" required aria-describedby="comp-bundle-hint" defaultValue={bundles[0]?.slug}>
            {bundles.map((b) => (
              <option key={b.slug} value={b.slug}>
                {b.title} ({b.slug}: {b.metric}, {b.submissionKinds.join(' and ')})
              </option>
            ))}
          </select>
          <span className="hint" id="comp-bundle-hint">
            The competitions this server ships, under <code>competitions/</code>.
          </span>
        </div>
      ) : (
        <div className="field">
          <label htmlFor="comp-bundle-file">Bundle archive</label>
          <input
            id="comp-bundle-file"
            name="bundleFile"
            type="file"
            required
            accept=".tar.gz,.tgz,application/gzip,application/x-gzip"
            aria-describedby="comp-bundle-file-hint"
          />
          <span className="hint" id="comp-bundle-file-hint">
            A .tar.gz of a bundle directory: <code>competition.yaml</code>, <code>pages/</code> and the data, at the top or in one folder.
          </span>
        </div>
      )}
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
        <label htmlFor="comp-title">Title (optional)</label>
        <input id="comp-title" name="title" type="text" maxLength={200} aria-describedby="comp-title-hint" />
        <span className="hint" id="comp-title-hint">
          Defaults to the bundle&apos;s title; give each copy of a bundle its own (e.g. &quot;Glomeruli — spring 2027&quot;).
        </span>
      </div>
      <div className="field">
        <label htmlFor="comp-slug">Slug (optional)</label>
        <input id="comp-slug" name="slug" type="text" pattern="[a-z0-9]+(-[a-z0-9]+)*" aria-describedby="comp-slug-hint" />
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
      {progress !== null && (
        <div className="field">
          <label htmlFor="comp-upload-progress">{progress < 100 ? `Uploading… ${progress}%` : 'Uploaded; the server is checking the bundle.'}</label>
          <progress id="comp-upload-progress" max={100} value={progress} data-testid="upload-progress" />
          {checking && (
            <span className="hint" role="status" data-testid="bundle-check">
              {checking}
            </span>
          )}
        </div>
      )}
      <button className="btn btn--primary" type="submit" disabled={busy}>
        Create competition
      </button>
    </form>
  );
}

/** `GET /api/bundles/checks/:id/events` payloads. */
interface CheckProgress {
  step: 'unpacking' | 'config' | 'images';
  done: number;
  total: number | null;
}

function describeCheck(p: CheckProgress): string {
  if (p.step === 'unpacking') return `Unpacking: ${p.done} file${p.done === 1 ? '' : 's'}…`;
  if (p.step === 'config') return 'Checking competition.yaml and the pages…';
  return `Checking image headers: ${p.done} of ${p.total ?? '?'}…`;
}
