// Browser-side calls to the API through the same origin (/api is proxied by the web server).
import type { AUTH, ErrorBody } from '@holdout/contracts';
import { sentence } from './format';

// Literal copies of AUTH's names (typed against it, so a rename fails the build) to keep the
// contracts package out of the browser bundle.
const CSRF_COOKIE: typeof AUTH.csrfCookie = 'holdout_csrf';
export const CSRF_HEADER: typeof AUTH.csrfHeader = 'x-csrf-token';

/** Double-submit CSRF token: the API sets a readable cookie, we echo it in a header. */
export function csrfHeaders(): Record<string, string> {
  if (typeof document === 'undefined') return {};
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE) return { [CSRF_HEADER]: decodeURIComponent(rest.join('=')) };
  }
  return {};
}

export class ClientApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(sentence(message));
  }
}

export async function errorFrom(res: Response | { status: number; text: string }): Promise<ClientApiError> {
  const text = res instanceof Response ? await res.text() : res.text;
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (body?.error?.message) return new ClientApiError(res.status, body.error.code, body.error.message, body.error.details);
  } catch {
    // not JSON: fall through
  }
  return new ClientApiError(res.status, `http-${res.status}`, text.slice(0, 300) || `Request failed (${res.status})`);
}

/** JSON request to /api<path>. Resolves to the parsed body (or null for 204). */
export async function send<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...csrfHeaders(),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}
