'use client';
import { useRef, useState } from 'react';
import type { KernelRunDto, SubmissionDto } from '@holdout/contracts';
import { formatBytes, formatDate, formatScore, runTitle } from '@/lib/format';
import { fetchBody, runOutputs, submissionFileUrl, type RunOutput } from '@/lib/predictions';

/** Masks to overlay, and where they came from (for the status line). */
export interface Predictions {
  csv: string;
  label: string;
}

const DISK = 'disk';
const TRAIN = 'train';

function optionLabel(s: SubmissionDto): string {
  const name = s.fileName ?? (s.kind === 'kernel' ? 'kernel' : 'prediction file');
  const outcome = s.publicScore !== null ? `public ${formatScore(s.publicScore)}` : s.status;
  return `${name} · ${formatDate(s.createdAt)} · ${outcome}`;
}

/**
 * Where the overlay's masks come from: one of the team's past submissions (a file submission's
 * uploaded CSV, or the `submission.csv` a kernel's run wrote), the training masks, or a file from
 * disk. Files are fetched only when chosen.
 */
export function PredictionPicker({ slug, submissions, hasTrainMasks, onChange }: { slug: string; submissions: SubmissionDto[]; hasTrainMasks: boolean; onChange: (p: Predictions | null) => void }) {
  const [source, setSource] = useState('');
  const [outputs, setOutputs] = useState<RunOutput[] | null>(null);
  const [output, setOutput] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  // Only the latest choice may set the overlay: an earlier, slower download is dropped.
  const latest = useRef(0);

  const load = async (url: string, label: string) => {
    const ticket = ++latest.current;
    setError('');
    setStatus(`Loading ${label}…`);
    try {
      const csv = await fetchBody(url, 'text');
      if (ticket !== latest.current) return;
      setStatus(`Showing ${label}.`);
      onChange({ csv, label });
    } catch (e) {
      if (ticket !== latest.current) return;
      setStatus('');
      setError(`Could not load ${label}: ${(e as Error).message}`);
      onChange(null);
    }
  };

  const choose = async (value: string) => {
    setSource(value);
    setOutputs(null);
    setOutput('');
    setError('');
    setStatus('');
    const ticket = ++latest.current;
    onChange(null);
    if (value === '' || value === DISK) return;
    if (value === TRAIN) return load(`/api/competitions/${encodeURIComponent(slug)}/data/train.csv`, 'the training masks (train.csv)');
    const s = submissions.find((x) => x.id === value);
    if (!s) return;
    if (s.kind === 'file') return load(submissionFileUrl(s.id), s.fileName ?? 'the submitted file');
    // A kernel: the submission.csv of each of its runs the team may read.
    setStatus('Looking for the files its runs wrote…');
    try {
      const runs = await fetchBody<KernelRunDto[]>(`/api/submissions/${encodeURIComponent(s.id)}/runs`, 'json');
      if (ticket !== latest.current) return;
      const found = runOutputs(s.id, runs);
      setOutputs(found);
      setStatus('');
      if (found.length === 0) return;
      setOutput(found[0]!.phase);
      await load(found[0]!.url, `submission.csv of the ${runTitle(found[0]!.phase).toLowerCase()}`);
    } catch (e) {
      if (ticket !== latest.current) return;
      setStatus('');
      setError(`Could not list this kernel's runs: ${(e as Error).message}`);
    }
  };

  const files = submissions.filter((s) => s.kind === 'file');
  const kernels = submissions.filter((s) => s.kind === 'kernel');
  return (
    <div data-testid="viewer-predictions">
      <div className="field">
        <label htmlFor="viewer-source">Predictions</label>
        <select id="viewer-source" value={source} onChange={(e) => void choose(e.target.value)}>
          <option value="">None</option>
          {files.length > 0 && (
            <optgroup label="My submitted files">
              {files.map((s) => (
                <option key={s.id} value={s.id}>
                  {optionLabel(s)}
                </option>
              ))}
            </optgroup>
          )}
          {kernels.length > 0 && (
            <optgroup label="My kernels' output">
              {kernels.map((s) => (
                <option key={s.id} value={s.id}>
                  {optionLabel(s)}
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="Other">
            {hasTrainMasks && <option value={TRAIN}>Training masks (train.csv)</option>}
            <option value={DISK}>A file from my computer…</option>
          </optgroup>
        </select>
        {submissions.length === 0 && <span className="hint">Your team&apos;s submissions appear here once you have made one.</span>}
      </div>
      {outputs !== null && outputs.length === 0 && (
        <p className="muted small" data-testid="viewer-no-output">
          None of this kernel&apos;s runs left a <code>submission.csv</code> you may read (yet). The hidden run&apos;s files stay hidden where its log does.
        </p>
      )}
      {outputs !== null && outputs.length > 1 && (
        <div className="field">
          <label htmlFor="viewer-output">Run output</label>
          <select
            id="viewer-output"
            value={output}
            onChange={(e) => {
              const o = outputs.find((x) => x.phase === e.target.value)!;
              setOutput(o.phase);
              void load(o.url, `submission.csv of the ${runTitle(o.phase).toLowerCase()}`);
            }}
          >
            {outputs.map((o) => (
              <option key={o.phase} value={o.phase}>
                {runTitle(o.phase)}: submission.csv ({formatBytes(o.size)})
              </option>
            ))}
          </select>
        </div>
      )}
      {source === DISK && (
        <div className="field">
          <label htmlFor="viewer-csv">Your submission file</label>
          <input
            id="viewer-csv"
            type="file"
            accept=".csv,text/csv"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              const ticket = ++latest.current;
              const csv = f ? await f.text() : null;
              if (ticket !== latest.current) return;
              setStatus(f ? `Showing ${f.name} from your computer.` : '');
              onChange(f && csv !== null ? { csv, label: f.name } : null);
            }}
          />
        </div>
      )}
      <p className="muted small" aria-live="polite" data-testid="viewer-source-status">
        {status}
      </p>
      {error && (
        <p className="alert alert--error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
