// Raw HTTP for the tests that sweep the whole API (the role matrix, the anonymity crawl): any
// method, body and header, server-sent-event streams read for their first event, and the API's
// own list of routes (its OpenAPI document) to check that a sweep misses none.
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 (binary bodies too: a name in them would still show). */
  text: string;
}

/** A multipart/form-data body (what a browser sends for an upload). */
export interface Multipart {
  multipart: { fields?: Record<string, string>; file?: { field: string; name: string; content: string | Buffer } };
}

export type RawBody = string | Multipart | undefined;

function encodeMultipart(m: Multipart['multipart']): { body: Buffer; type: string } {
  const boundary = `----holdout${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(m.fields ?? {})) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (m.file) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${m.file.field}"; filename="${m.file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`));
    parts.push(Buffer.isBuffer(m.file.content) ? m.file.content : Buffer.from(m.file.content));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * One request. An event stream is read until its first `data:` event, or for `sseWindowMs`
 * after its headers when the stream sends nothing at once (it is then closed: the answer is the
 * status and what came).
 */
export function rawRequest(server: Server, method: string, path: string, headers: Record<string, string>, body?: RawBody, sseWindowMs = 250): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  let payload: Buffer | undefined;
  const h: Record<string, string> = { ...headers };
  if (typeof body === 'string') {
    payload = Buffer.from(body);
    h['content-type'] = 'application/json';
  } else if (body) {
    const m = encodeMultipart(body.multipart);
    payload = m.body;
    h['content-type'] = m.type;
  }
  if (payload) h['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      };
      const sse = String(res.headers['content-type']).startsWith('text/event-stream');
      const timer = sse ? setTimeout(done, sseWindowMs) : undefined;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (sse && /(^|\n)data: [^\n]*\n\n/.test(Buffer.concat(chunks).toString('utf8'))) done();
      });
      res.on('end', done);
      res.on('error', (e) => (settled ? undefined : reject(e)));
    });
    req.on('error', (e) => (settled ? undefined : reject(e)));
    req.end(payload);
  });
}

/** Every route of the API as `METHOD /api/path/{param}`, from its OpenAPI document. */
export async function apiRoutes(server: Server): Promise<string[]> {
  const res = await rawRequest(server, 'GET', '/api/docs/json', {});
  if (res.status !== 200) throw new Error(`the OpenAPI document: HTTP ${res.status}`);
  const doc = JSON.parse(res.text) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}
