// Same-origin proxy for the browser: /api/* → HOLDOUT_API_URL/api/*, read at start (not at build,
// as next.config rewrites would be). Bodies stream both ways: uploads are not buffered and
// server-sent events pass through as they arrive.
import type { NextRequest } from 'next/server';
import { API_URL } from '@/lib/api';

export const dynamic = 'force-dynamic';

// Hop-by-hop headers, and ones fetch sets itself.
const DROP_REQUEST = ['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'proxy-connection'];
const DROP_RESPONSE = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length'];

async function proxy(req: NextRequest): Promise<Response> {
  const url = `${API_URL}${req.nextUrl.pathname}${req.nextUrl.search}`;
  const headers = new Headers(req.headers);
  for (const h of DROP_REQUEST) headers.delete(h);
  headers.set('x-forwarded-host', req.headers.get('host') ?? '');
  headers.set('x-forwarded-proto', req.nextUrl.protocol.replace(':', ''));
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  let upstream: Response;
  try {
    upstream = await fetch(url, {
      method: req.method,
      headers,
      body: hasBody ? req.body : undefined,
      redirect: 'manual',
      signal: req.signal,
      cache: 'no-store',
      // Required by Node's fetch to stream a request body.
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch {
    return Response.json(
      { error: { code: 'unavailable', message: 'The API is not reachable.' }, requestId: 'web-proxy' },
      { status: 503 },
    );
  }
  const out = new Headers(upstream.headers);
  // fetch has already decoded the body, so its encoding and length no longer apply.
  if (upstream.headers.has('content-encoding')) for (const h of DROP_RESPONSE) out.delete(h);
  else for (const h of DROP_RESPONSE.filter((x) => x !== 'content-length')) out.delete(h);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

export { proxy as GET, proxy as POST, proxy as PUT, proxy as PATCH, proxy as DELETE, proxy as HEAD };
