'use client';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import type { CompetitionDto, SubmissionKind, UpdateCompetitionRequest } from '@holdout/contracts';
import { send } from '@/lib/client';
import { formatDate } from '@/lib/format';
import { useAction } from './useAction';
import { Message } from './Message';

/** What a competition's kernel runs ask for, as `GET …/kernel-policy` reports it. */
export interface KernelRequest {
  cpus: number;
  memoryBytes: number;
  gpus: number;
  processes: number;
  timeLimitSeconds: number;
  showHiddenDataLogs: boolean;
  /** Public runs (kernel submissions and runs without submitting) per team per day; absent where the API does not report it. */
  publicRunsPerDay?: number;
}

const GiB = 1024 ** 3;

/** Each kind an instructor may turn on, and why a bundle may not offer it. */
const KIND_CHOICES: Record<SubmissionKind, { label: string; notOffered: string }> = {
  file: { label: 'Prediction files', notOffered: ' The bundle keeps the test images hidden, so prediction files cannot be scored.' },
  kernel: { label: 'Kernels (notebooks and scripts run by the platform)', notOffered: ' The bundle has no kernel setup.' },
  model: { label: 'Models (ONNX, run by the platform through the bundle\'s pipeline)', notOffered: ' The bundle has no model pipeline.' },
};

/** The settings an instructor may change after creation (PATCH /api/competitions/:slug), audited. */
export function CompetitionSettings({ c, kernel }: { c: CompetitionDto; kernel: KernelRequest | null }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  // What no longer applies once the competition has closed (teams no longer merge) or been revealed
  // (everyone sees per-image scores, and no board is frozen): shown, disabled, with the reason, and not sent.
  const closed = c.state === 'closed';
  const teamsFixed = closed ? 'Teams no longer merge: the competition has closed.' : null;
  const revealedNote = c.revealed ? 'No longer applies: the private leaderboard is revealed.' : null;

  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const num = (k: string) => Number(f.get(k));
    const body: UpdateCompetitionRequest = {
      title: String(f.get('title') ?? '').trim(),
      limits: { dailySubmissions: num('dailySubmissions'), finalSelections: num('finalSelections'), ...(teamsFixed ? {} : { maxTeamSize: num('maxTeamSize') }) },
      ...(revealedNote ? {} : { feedback: { perImagePublic: f.get('perImagePublic') === 'on' } }),
      leaderboard: { anonymous: f.get('anonymous') === 'on', ...(revealedNote ? {} : { freezeDays: num('freezeDays') }) },
      submissionKinds: (c.availableKinds ?? c.submissionKinds).filter((k) => f.get(`kind-${k}`) === 'on'),
    };
    // Kernel limits only while kernels stay on (turning them off in the same save is allowed).
    if (kernel && body.submissionKinds!.includes('kernel')) {
      body.kernel = {
        timeLimitSeconds: Math.round(num('timeLimitHours') * 3600),
        memoryBytes: Math.round(num('memoryGiB') * GiB),
        cpus: num('cpus'),
        gpus: num('gpus'),
        processes: num('processes'),
        showHiddenDataLogs: f.get('showHiddenDataLogs') === 'on',
      };
      // Left empty (the current value unknown): unchanged.
      const publicRuns = String(f.get('publicRunsPerDay') ?? '').trim();
      if (publicRuns) body.kernel.publicRunsPerDay = Number(publicRuns);
    }
    void run(async () => {
      await send('PATCH', `/competitions/${encodeURIComponent(c.slug)}`, body);
      router.refresh();
      return 'Settings saved.';
    });
  }

  return (
    <section className="card" aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <Message message={message} />
      <form onSubmit={save}>
        <div className="field">
          <label htmlFor="s-title">Title</label>
          <input id="s-title" name="title" type="text" required maxLength={200} defaultValue={c.title} />
        </div>
        <div className="field">
          <label htmlFor="s-daily">Submissions per day</label>
          <input id="s-daily" name="dailySubmissions" type="number" min={1} max={1000} required defaultValue={c.limits.dailySubmissions} />
        </div>
        <div className="field">
          <label htmlFor="s-finals">Final selections</label>
          <input id="s-finals" name="finalSelections" type="number" min={1} max={20} required defaultValue={c.limits.finalSelections} aria-describedby={closed ? 's-finals-hint' : undefined} />
          {closed && (
            <span id="s-finals-hint" className="hint">
              Participants can no longer change their selections; a new number changes which of their submissions the private
              leaderboard counts.
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor="s-team">Largest team</label>
          <input id="s-team" name="maxTeamSize" type="number" min={1} max={50} step={1} required defaultValue={c.limits.maxTeamSize} disabled={teamsFixed !== null} aria-describedby="s-team-hint" />
          <span id="s-team-hint" className="hint" data-testid={teamsFixed ? 'setting-disabled' : undefined}>
            {teamsFixed ?? 'Members a team may have once teams merge (on the Team tab); 1 keeps everyone competing alone.'}
          </span>
        </div>
        <div className="field">
          <label>
            <input name="perImagePublic" type="checkbox" defaultChecked={c.feedback.perImagePublic} disabled={revealedNote !== null} aria-describedby={revealedNote ? 's-per-image-hint' : undefined} /> Show
            participants per-image public scores before the reveal (they reveal which test images are public)
          </label>
          {revealedNote && (
            <span id="s-per-image-hint" className="hint" data-testid="setting-disabled">
              {revealedNote}
            </span>
          )}
        </div>
        <fieldset>
          <legend>Leaderboard view</legend>
          <div className="field">
            <label>
              <input name="anonymous" type="checkbox" defaultChecked={c.leaderboard.anonymous} aria-describedby="s-anon-hint" /> Anonymous leaderboard
            </label>
            <span id="s-anon-hint" className="hint">
              Participants see other teams under pseudonyms (their own team keeps its name); staff always see names.
            </span>
          </div>
          <div className="field">
            <label htmlFor="s-freeze">Freeze the public board for the last N days</label>
            <input id="s-freeze" name="freezeDays" type="number" min={0} max={60} step={1} required defaultValue={c.leaderboard.freezeDays} disabled={revealedNote !== null} aria-describedby="s-freeze-hint" />
            <span id="s-freeze-hint" className="hint" data-testid="freeze-hint">
              {revealedNote ?? (
                <>
                  0 = never. Participants then see the public board as it stood when the freeze began, and their own new scores on My
                  submissions; staff see the live board.
                  {c.leaderboard.freezesAt && ` The freeze begins ${formatDate(c.leaderboard.freezesAt)}.`}
                </>
              )}
            </span>
          </div>
        </fieldset>
        <fieldset>
          <legend>Submissions accepted</legend>
          {(['file', 'kernel', 'model'] as const).map((k) => {
            const offered = (c.availableKinds ?? c.submissionKinds).includes(k);
            return (
              <div className="field" key={k}>
                <label>
                  <input name={`kind-${k}`} type="checkbox" defaultChecked={c.submissionKinds.includes(k)} disabled={!offered} />{' '}
                  {KIND_CHOICES[k].label}
                </label>
                {!offered && (
                  <span className="muted small">
                    {KIND_CHOICES[k].notOffered}
                  </span>
                )}
              </div>
            );
          })}
        </fieldset>
        {kernel && (
          <fieldset>
            <legend>Kernel runs</legend>
            <div className="field">
              <label htmlFor="s-time">Time limit (hours)</label>
              <input id="s-time" name="timeLimitHours" type="number" min={0.02} max={72} step="any" required defaultValue={kernel.timeLimitSeconds / 3600} />
            </div>
            <div className="field">
              <label htmlFor="s-mem">Memory (GB)</label>
              <input id="s-mem" name="memoryGiB" type="number" min={0.25} max={1024} step="any" required defaultValue={kernel.memoryBytes / GiB} />
            </div>
            <div className="field">
              <label htmlFor="s-cpus">CPUs</label>
              <input id="s-cpus" name="cpus" type="number" min={0.1} max={256} step="any" required defaultValue={kernel.cpus} />
            </div>
            <div className="field">
              <label htmlFor="s-gpus">GPUs</label>
              <input id="s-gpus" name="gpus" type="number" min={0} max={16} required defaultValue={kernel.gpus} />
            </div>
            <div className="field">
              <label htmlFor="s-procs">Processes</label>
              <input id="s-procs" name="processes" type="number" min={16} max={32768} required defaultValue={kernel.processes} />
            </div>
            <div className="field">
              <label htmlFor="s-public-runs">Public runs per team per day</label>
              <input
                id="s-public-runs"
                name="publicRunsPerDay"
                type="number"
                min={1}
                max={1000}
                step={1}
                required={kernel.publicRunsPerDay !== undefined}
                defaultValue={kernel.publicRunsPerDay}
                aria-describedby="s-public-runs-hint"
              />
              <span id="s-public-runs-hint" className="hint">
                Kernel submissions and runs without submitting each start a run over the public data; failures on our side and
                cancelled runs do not count.
              </span>
            </div>
            <div className="field">
              <label>
                <input name="showHiddenDataLogs" type="checkbox" defaultChecked={kernel.showHiddenDataLogs} /> Show participants the log of runs over the hidden
                test data
              </label>
            </div>
          </fieldset>
        )}
        <button className="btn btn--primary" type="submit" disabled={busy}>
          Save settings
        </button>
      </form>
    </section>
  );
}
