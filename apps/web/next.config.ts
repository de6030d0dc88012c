import type { NextConfig } from 'next';

// The browser talks to one origin: /api/* is proxied to the API. Rewrites are compiled into the
// build's routes manifest, so HOLDOUT_API_URL must be set at build time as well as at start.
const api = (process.env.HOLDOUT_API_URL ?? 'http://127.0.0.1:4000').replace(/\/$/, '');

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-sent events pass through the rewrite; compressing them would buffer the stream.
  compress: false,
  async rewrites() {
    return [{ source: '/api/:path*', destination: `${api}/api/:path*` }];
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};

export default config;
