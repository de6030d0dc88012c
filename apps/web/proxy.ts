import { NextResponse, type NextRequest } from 'next/server';

/**
 * A Content-Security-Policy with a fresh nonce on every page. Next.js puts the nonce on its own
 * scripts when it finds it in the request's policy; the layout reads `x-nonce` for the theme
 * script. Scripts from anywhere else, inline event handlers and plugins are refused, the page
 * cannot be framed, and it talks to its own origin only (the API is proxied under /api).
 * Inline style attributes stay allowed: React writes them and they cannot run code.
 * Served over HTTPS (directly, or behind a TLS proxy that says so in `X-Forwarded-Proto`), a page
 * also pins HTTPS for a year (HSTS); over plain HTTP it does not (browsers would ignore it there,
 * and a development machine on http://127.0.0.1 stays unpinned).
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const dev = process.env.NODE_ENV !== 'production';
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  // The page's own path, for a sign-in redirect that brings the viewer back to it (sub-page and all).
  headers.set('x-holdout-path', request.nextUrl.pathname + request.nextUrl.search);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() ?? request.nextUrl.protocol.replace(':', '');
  if (proto === 'https') response.headers.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
  return response;
}

export const config = {
  // Pages only: the API proxy, build assets and prefetches carry no HTML to protect.
  matcher: [
    {
      source: '/((?!api/|_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
