import { ApiError } from '@/lib/api';

/** A friendly panel for an API failure inside a server component. */
export function ErrorNote({ error, what }: { error: unknown; what: string }) {
  const message = error instanceof ApiError ? error.message : 'Something went wrong.';
  return (
    <div className="alert alert--error" role="alert">
      <strong>Could not load {what}.</strong> {message}
    </div>
  );
}
