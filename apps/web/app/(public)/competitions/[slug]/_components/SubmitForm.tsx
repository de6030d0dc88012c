'use client';
import { useRouter } from 'next/navigation';
import { useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import type { ModelPipelineDto, SubmissionDto, SubmissionKind } from '@holdout/contracts';
import { ClientApiError } from '@/lib/client';
import { postWithProgress } from '@/lib/upload';
import { formatBytes, KIND_LABELS } from '@/lib/format';
import { ModelRequirements } from './ModelRequirements';

const kindInfo: Record<SubmissionKind, { accept: string; hint: string }> = {
  file: { accept: '.csv,text/csv', hint: 'submission.csv with columns id,predicted' },
  kernel: { accept: '.py,.ipynb', hint: 'a .py script or .ipynb notebook that writes /kaggle/working/submission.csv' },
  model: { accept: '.onnx,.tar', hint: 'one .onnx file, or a .tar of several .onnx files (an ensemble)' },
};

/** The problems of a refused model (422 `invalid_model`), each naming the file and what is wrong. */
function modelProblems(err: unknown): string[] | null {
  if (!(err instanceof ClientApiError) || err.code !== 'invalid_model') return null;
  const problems = (err.details as { problems?: { message?: unknown }[] } | undefined)?.problems;
  const messages = Array.isArray(problems) ? problems.map((p) => p?.message).filter((m): m is string => typeof m === 'string') : [];
  // Not sentence-cased: each message starts with the file's name, as the student spelled it.
  return messages.length > 0 ? messages : [err.message];
}

export function SubmitForm({
  slug,
  kinds: listed,
  initialKind,
  disabledReason,
  quotaSpent,
  model,
}: {
  slug: string;
  kinds: SubmissionKind[];
  initialKind?: SubmissionKind;
  disabledReason?: string | null;
  /** Why no submission is left today: a kernel may still run without submitting. */
  quotaSpent?: string | null;
  /** The competition's model pipeline: models are offered only where there is one. */
  model?: ModelPipelineDto | null;
}) {
  const kinds = listed.filter((k) => k !== 'model' || model);
  const router = useRouter();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [kind, setKind] = useState<SubmissionKind>(initialKind && kinds.includes(initialKind) ? initialKind : kinds[0]!);
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[] | null>(null);

  function pick(f: File | undefined | null) {
    setError(null);
    setProblems(null);
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
    if (kind === 'model' && model && file.size > model.maxSizeBytes) {
      setProblems([`${file.name} is ${formatBytes(file.size)}; this competition takes models of at most ${formatBytes(model.maxSizeBytes)}.`]);
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
    setProblems(null);
    postWithProgress<SubmissionDto>(`/competitions/${encodeURIComponent(slug)}/submissions`, body, setProgress).then(
      (sub) => {
        router.push(`/competitions/${slug}/submissions/${sub.id}`);
        router.refresh();
      },
      (err: Error) => {
        const refused = kind === 'model' ? modelProblems(err) : null;
        if (refused) setProblems(refused);
        else setError(err.message);
        setProgress(null);
      },
    );
  }

  if (kinds.length === 0) return <p className="alert alert--warn">This competition takes no submissions of a kind this page can send.</p>;
  const info = kindInfo[kind];
  const problemsId = `${id}-problems`;
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
                {KIND_LABELS[k]}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {kind === 'model' && model && (
        <section aria-labelledby={`${id}-model-h`}>
          <h2 id={`${id}-model-h`} style={{ fontSize: '1.05rem' }}>
            What the model must be
          </h2>
          <ModelRequirements model={model} />
        </section>
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
          <label htmlFor={`${id}-file`}>{KIND_LABELS[kind]}: drop it here or choose it</label>
          <input
            ref={inputRef}
            id={`${id}-file`}
            name="file"
            type="file"
            accept={info.accept}
            onChange={(e) => pick(e.target.files?.[0])}
            aria-describedby={problems ? `${id}-file-hint ${problemsId}` : `${id}-file-hint`}
            aria-invalid={problems ? true : undefined}
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
      {problems && (
        <div className="alert alert--error" role="alert" id={problemsId} data-testid="model-problems" style={{ marginTop: '1rem' }}>
          <p style={{ marginTop: 0 }}>
            The model was refused: nothing was submitted or charged. {problems.length === 1 ? 'The problem:' : `The ${problems.length} problems:`}
          </p>
          <ul style={{ marginBottom: 0 }}>
            {problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </div>
      )}
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
