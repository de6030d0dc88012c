import type { NextConfig } from 'next';

// The browser talks to one origin: /api/* is proxied to HOLDOUT_API_URL by the route handler in
// app/api/[...path] (read at start; rewrites here would fix the API's address at build time).
const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-sent events pass through the proxy; compressing them would buffer the stream.
  compress: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
          // No other window keeps a handle on ours (a page it opened cannot navigate or read it).
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
};

export default config;
