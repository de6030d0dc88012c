// Server-side access to the API: forwards the viewer's cookies, never caches.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ErrorBody, MeDto } from '@holdout/contracts';
import { sentence } from './format';

export const API_URL = (process.env.HOLDOUT_API_URL ?? 'http://127.0.0.1:4000').replace(/\/$/, '');

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(sentence(message));
  }
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const jar = await cookies();
  const headers = new Headers(init.headers);
  const cookie = jar.toString();
  if (cookie) headers.set('cookie', cookie);
  headers.set('accept', headers.get('accept') ?? 'application/json');
  try {
    return await fetch(`${API_URL}/api${path}`, { ...init, headers, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(503, 'api-unreachable', `The API at ${API_URL} is not reachable.`, String(err));
  }
}

async function toError(res: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    body = undefined;
  }
  return new ApiError(
    res.status,
    body?.error?.code ?? `http-${res.status}`,
    body?.error?.message ?? res.statusText,
    body?.error?.details,
  );
}

/** GET (by default) a JSON resource; throws ApiError on any non-2xx answer. */
export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await request(path, init);
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}

/** Like api(), but answers null where the resource is missing or forbidden. */
export async function apiOrNull<T>(path: string): Promise<T | null> {
  const res = await request(path);
  if (res.status === 404 || res.status === 403 || res.status === 401) return null;
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}

/** Plain-text resources (logs). */
export async function apiText(path: string): Promise<string | null> {
  const res = await request(path, { headers: { accept: 'text/plain' } });
  if (!res.ok) return null;
  return res.text();
}

/** The signed-in user, or null. */
export async function getMe(): Promise<MeDto | null> {
  const jar = await cookies();
  if (jar.size === 0) return null;
  try {
    return await apiOrNull<MeDto>('/me');
  } catch {
    return null;
  }
}

/** The signed-in user; sends everyone else to the sign-in page and back here afterwards. */
export async function requireMe(next: string): Promise<MeDto> {
  const me = await getMe();
  if (!me) redirect(`/login?next=${encodeURIComponent(next)}`);
  return me;
}

export function isStaff(me: MeDto | null): boolean {
  return !!me && (me.isAdmin || me.courses.some((c) => c.role === 'instructor' || c.role === 'ta'));
}
