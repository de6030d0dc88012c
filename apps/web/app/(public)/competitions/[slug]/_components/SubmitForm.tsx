'use client';
import { useRouter } from 'next/navigation';
import { useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import type { SubmissionDto, SubmissionKind } from '@holdout/contracts';
import { postWithProgress } from '@/lib/upload';
import { formatBytes } from '@/lib/format';

/** The kinds this platform runs (ONNX models are not run yet, so never offered). */
const kindInfo: Partial<Record<SubmissionKind, { label: string; accept: string; hint: string }>> = {
  file: { label: 'Prediction file', accept: '.csv,text/csv', hint: 'submission.csv with columns id,predicted' },
  kernel: { label: 'Kernel', accept: '.py,.ipynb', hint: 'a .py script or .ipynb notebook that writes /kaggle/working/submission.csv' },
};

export function SubmitForm({
  slug,
  kinds: listed,
  initialKind,
  disabledReason,
  quotaSpent,
}: {
  slug: string;
  kinds: SubmissionKind[];
  initialKind?: SubmissionKind;
  disabledReason?: string | null;
  /** Why no submission is left today: a kernel may still run without submitting. */
  quotaSpent?: string | null;
}) {
  const kinds = listed.filter((k) => kindInfo[k]);
  const router = useRouter();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [kind, setKind] = useState<SubmissionKind>(initialKind && kinds.includes(initialKind) ? initialKind : kinds[0]!);
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  function pick(f: File | undefined | null) {
    setError(null);
    setFile(f ?? null);
  }
  function onDrop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f && inputRef.current) {
      // Keep the input in step with what was dropped, so the form and screen readers agree.
      const dt = new DataTransfer();
      dt.items.add(f);
      inputRef.current.files = dt.files;
    }
    pick(f);
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    // Which button: "Submit", or (kernels) "Run without submitting".
    const runOnly = kind === 'kernel' && (e.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'run-only';
    if (!file) {
      setError('Choose a file to submit.');
      return;
    }
    const form = new FormData(e.currentTarget);
    const body = new FormData();
    body.set('kind', kind);
    if (runOnly) body.set('runOnly', 'true');
    const description = String(form.get('description') ?? '').trim();
    if (description) body.set('description', description);
    const cv = String(form.get('cvScore') ?? '').trim();
    if (cv) body.set('cvScore', cv);
    body.set('file', file, file.name);

    setError(null);
    postWithProgress<SubmissionDto>(`/competitions/${encodeURIComponent(slug)}/submissions`, body, setProgress).then(
      (sub) => {
        router.push(`/competitions/${slug}/submissions/${sub.id}`);
        router.refresh();
      },
      (err: Error) => {
        setError(err.message);
        setProgress(null);
      },
    );
  }

  const info = kindInfo[kind]!;
  const busy = progress !== null;
  const blocked = disabledReason ?? (kind === 'kernel' ? null : quotaSpent) ?? null;
  return (
    <form onSubmit={onSubmit} className="card" aria-describedby={disabledReason || quotaSpent ? `${id}-disabled` : undefined}>
      {(disabledReason ?? quotaSpent) && (
        <div className="alert alert--warn" id={`${id}-disabled`}>
          {disabledReason ?? quotaSpent}
          {!disabledReason && kind === 'kernel' && ' A kernel can still run without submitting.'}
        </div>
      )}
      {error && (
        <div className="alert alert--error" role="alert" data-testid="submit-error">
          {error}
        </div>
      )}
      {kinds.length > 1 && (
        <fieldset>
          <legend>What are you submitting?</legend>
          <div className="choices">
            {kinds.map((k) => (
              <label key={k}>
                <input
                  type="radio"
                  name="kind"
                  value={k}
                  checked={kind === k}
                  onChange={() => {
                    setKind(k);
                    pick(null);
                    if (inputRef.current) inputRef.current.value = '';
                  }}
                />
                {kindInfo[k]!.label}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <div
        className={`dropzone${over ? ' is-over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <div className="field" style={{ alignItems: 'center', margin: 0 }}>
          <label htmlFor={`${id}-file`}>{info.label}: drop it here or choose it</label>
          <input
            ref={inputRef}
            id={`${id}-file`}
            name="file"
            type="file"
            accept={info.accept}
            onChange={(e) => pick(e.target.files?.[0])}
            aria-describedby={`${id}-file-hint`}
          />
          <span id={`${id}-file-hint`} className="hint">
            {info.hint}
          </span>
          {file && (
            <span className="small" data-testid="chosen-file">
              {file.name} · {formatBytes(file.size)}
            </span>
          )}
        </div>
      </div>
      <div className="field" style={{ marginTop: '1rem' }}>
        <label htmlFor={`${id}-desc`}>Description</label>
        <textarea id={`${id}-desc`} name="description" maxLength={500} placeholder="What changed in this version?" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-cv`}>Local CV score (optional)</label>
        <input id={`${id}-cv`} name="cvScore" type="number" step="any" min="0" max="1" inputMode="decimal" aria-describedby={`${id}-cv-hint`} style={{ maxWidth: '12rem' }} />
        <span id={`${id}-cv-hint`} className="hint">
          Your own validation score; shown against public and private scores after the close.
        </span>
      </div>
      {progress !== null && (
        <div className="field">
          <label htmlFor={`${id}-progress`}>Uploading… {progress}%</label>
          <progress id={`${id}-progress`} max={100} value={progress} data-testid="upload-progress" />
        </div>
      )}
      <div className="row">
        <button type="submit" name="action" value="submit" className="btn btn--primary" disabled={busy || !!blocked || (kind === 'kernel' && !!quotaSpent)}>
          {busy ? 'Uploading…' : 'Submit'}
        </button>
        {kind === 'kernel' && (
          <button type="submit" name="action" value="run-only" className="btn" disabled={busy || !!blocked} aria-describedby={`${id}-run-only-hint`}>
            Run without submitting
          </button>
        )}
      </div>
      {kind === 'kernel' && (
        <p id={`${id}-run-only-hint`} className="muted small" data-testid="run-only-hint">
          Run without submitting: the public run only — you get its log and the files it writes, no score, and it is not
          charged to your daily submissions. Public runs are limited per day (see the rules).
        </p>
      )}
    </form>
  );
}
