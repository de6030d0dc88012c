'use client';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import { send } from '@/lib/client';
import { Message } from './Message';
import { useAction } from './useAction';

/**
 * The kernel policy of a competition or a whole course (`PUT …/kernel-policy`): the weekly GPU
 * budget of each team and whether GPU kernels may run on the CPU when no GPU is free. "Inherit"
 * sends null: the course's policy for a competition, the site default for a course.
 */
export function KernelPolicyForm({ path, scope, current }: { path: string; scope: 'competition' | 'course'; current: { gpuHoursPerWeek: number | null; cpuFallback: boolean | null } }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const from = scope === 'competition' ? "the course's policy" : "the site's default";

  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const hours = String(f.get('gpuHoursPerWeek') ?? '').trim();
    const fallback = String(f.get('cpuFallback'));
    const body = { gpuHoursPerWeek: hours === '' ? null : Number(hours), cpuFallback: fallback === 'inherit' ? null : fallback === 'yes' };
    void run(async () => {
      await send('PUT', path, body);
      router.refresh();
      return 'Kernel policy saved.';
    });
  }

  return (
    <form onSubmit={save} aria-label={`Kernel policy of this ${scope}`}>
      <Message message={message} />
      <div className="field">
        <label htmlFor={`kp-hours-${scope}`}>GPU hours per team per week</label>
        <input id={`kp-hours-${scope}`} name="gpuHoursPerWeek" type="number" min={0} max={10000} step="any" defaultValue={current.gpuHoursPerWeek ?? ''} aria-describedby={`kp-hours-hint-${scope}`} />
        <span id={`kp-hours-hint-${scope}`} className="hint">
          Empty: {from}.
        </span>
      </div>
      <div className="field">
        <label htmlFor={`kp-fallback-${scope}`}>GPU kernels on the CPU when no GPU worker runs</label>
        <select id={`kp-fallback-${scope}`} name="cpuFallback" defaultValue={current.cpuFallback === null ? 'inherit' : current.cpuFallback ? 'yes' : 'no'}>
          <option value="inherit">As {from}</option>
          <option value="yes">Allowed (outside the GPU budget)</option>
          <option value="no">Not allowed: they wait for a GPU</option>
        </select>
      </div>
      <button type="submit" className="btn btn--primary" disabled={busy}>
        Save the kernel policy
      </button>
    </form>
  );
}
