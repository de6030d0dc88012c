'use client';
export function Message({ message }: { message: { kind: 'ok' | 'error'; text: string } | null }) {
  return (
    <div aria-live="polite">
      {message && (
        <div className={`alert alert--${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
        </div>
      )}
    </div>
  );
}
