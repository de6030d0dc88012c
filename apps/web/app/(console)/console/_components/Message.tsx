'use client';
import type { ActionMessage } from './useAction';

export function Message({ message }: { message: ActionMessage | null }) {
  return (
    <div aria-live="polite">
      {message && (
        <div className={`alert alert--${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
          {message.details && (
            <ul data-testid="error-details">
              {message.details.map((d, i) => (
                <li key={i}>{d}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
