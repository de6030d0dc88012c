// The web app's server (`npm start -w @holdout/web`): Next.js's request handler behind Node's own
// HTTP server, for one reason — the client address. The API counts failed sign-ins, sign-ups and
// uploads per address, and it learns the address from the `X-Forwarded-For` this app's /api proxy
// passes on. `next start` keeps a client's own `X-Forwarded-For` (it only fills the header in when
// absent), so any client could choose the address it is counted under and never be throttled.
// Here the header is set from the connection, unless HOLDOUT_WEB_TRUST_PROXY=1 says a reverse proxy
// in front overwrites it with the client's address (docs/production.md).
//
//   PORT (default 3000), HOSTNAME (default 0.0.0.0), HOLDOUT_WEB_TRUST_PROXY (default off)
import { createServer } from 'node:http';
import next from 'next';

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOSTNAME ?? '0.0.0.0';
const trustProxy = process.env.HOLDOUT_WEB_TRUST_PROXY === '1';

const app = next({ dev: false, dir: import.meta.dirname, hostname, port });
await app.prepare();
const handle = app.getRequestHandler();

createServer((req, res) => {
  const peer = req.socket.remoteAddress ?? '';
  if (!trustProxy || !req.headers['x-forwarded-for']) req.headers['x-forwarded-for'] = peer;
  void handle(req, res);
}).listen(port, hostname, () => {
  process.stdout.write(`holdout web: listening on http://${hostname}:${port}${trustProxy ? ' (trusting X-Forwarded-For from the proxy in front)' : ''}\n`);
});
