import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Reads a server-sent-events stream until `done` accepts a parsed `data:` payload; returns all
 * payloads received. Test helper.
 */
export function readSse<T>(server: Server, path: string, headers: Record<string, string>, done: (e: T) => boolean, timeoutMs = 15_000): Promise<T[]> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE ${path}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (!data) continue;
          const e = JSON.parse(data) as T;
          events.push(e);
          if (done(e)) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`SSE ${path}: timed out after ${events.length} events: ${JSON.stringify(events).slice(0, 500)}`));
    }, timeoutMs);
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.end();
  });
}

export function cookieHeader(agentCookies: string): Record<string, string> {
  return { cookie: agentCookies };
}
