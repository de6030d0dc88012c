'use client';
import { useRouter } from 'next/navigation';
import { send } from '@/lib/client';
import { Message } from './Message';
import { useAction } from './useAction';

/** Runs again a kernel that failed on our side (instructors): it is queued with a fresh set of attempts. */
export function RunAgain({ submissionId, teamName }: { submissionId: string; teamName: string }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  function runAgain() {
    void run(async () => {
      await send('POST', `/submissions/${submissionId}/retry`);
      router.refresh();
      return `${teamName}'s kernel is queued again.`;
    });
  }
  return (
    <>
      <button className="btn btn--small" type="button" onClick={runAgain} disabled={busy}>
        Run again<span className="visually-hidden"> {teamName}&apos;s kernel</span>
      </button>
      <Message message={message} />
    </>
  );
}
