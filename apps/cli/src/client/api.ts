import type { ErrorBody } from '@holdout/contracts';
import { Presets, SingleBar } from 'cli-progress';
import { bytes } from './output.js';
import { currentLogin } from './config.js';
import { CliError, EXIT } from './errors.js';

const LOGIN_HINT = 'run `holdout login`';

/** A Holdout server, spoken to with a personal API token (`Authorization: Bearer hko_…`). */
export class Api {
  constructor(
    readonly url: string,
    private readonly token: string | null,
  ) {}

  /** The stored login (or HOLDOUT_URL / HOLDOUT_TOKEN); refuses when there is none. */
  static async signedIn(): Promise<Api> {
    const { url, token } = await currentLogin();
    if (!url || !token) throw new CliError(`not signed in: ${LOGIN_HINT} (or set HOLDOUT_URL and HOLDOUT_TOKEN)`, EXIT.auth);
    return new Api(url, token);
  }

  /** A request to `/api<path>`; network failures become a clear error naming the server. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    headers.set('accept', headers.get('accept') ?? 'application/json');
    try {
      return await fetch(`${this.url}/api${path}`, { ...init, headers });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.url} (${cause?.code ?? cause?.message ?? (err as Error).message}): is the server running, and is this its address? (change it with holdout login --url …)`, EXIT.unreachable);
    }
  }

  /** Like `fetch`, but an error answer becomes a `CliError` with the server's message. */
  async ok(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.fetch(path, init);
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.ok(path, {
      method,
      ...(body === undefined ? {} : body instanceof FormData ? { body } : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /**
   * POSTs a multipart form, with a progress bar on a terminal (unless quiet): the form is encoded
   * once, then streamed through a byte counter.
   */
  async upload<T>(path: string, form: FormData, o: { quiet: boolean }): Promise<T> {
    const encoded = new Response(form);
    const type = encoded.headers.get('content-type')!;
    const blob = await encoded.blob();
    const bar = o.quiet || !process.stderr.isTTY || blob.size < 256 * 1024 ? null : new SingleBar({ format: 'uploading |{bar}| {percentage}% of {total_size}', hideCursor: true }, Presets.shades_classic);
    bar?.start(blob.size, 0, { total_size: bytes(blob.size) });
    let sent = 0;
    const counted = blob.stream().pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          bar?.update((sent += chunk.byteLength));
          out.enqueue(chunk);
        },
      }),
    );
    try {
      const res = await this.ok(path, { method: 'POST', body: counted, headers: { 'content-type': type, 'content-length': String(blob.size) }, duplex: 'half' } as RequestInit);
      const text = await res.text();
      return (text ? JSON.parse(text) : null) as T;
    } finally {
      bar?.stop();
    }
  }

  /** The `data:` payloads of a server-sent-events stream, parsed, until the caller stops. */
  async *events<T>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.ok(path, { headers: { accept: 'text/event-stream' }, signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const data = buf
            .slice(0, i)
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          buf = buf.slice(i + 2);
          if (data) yield JSON.parse(data) as T;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

/** The one error shape of the API as a `CliError`: message, details, and an exit code by class. */
export async function errorOf(res: Response): Promise<CliError> {
  let body: Partial<ErrorBody> | null = null;
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    // not JSON (a proxy's page, say)
  }
  const message = body?.error?.message ?? `HTTP ${res.status} ${res.statusText}`;
  if (res.status === 401) return new CliError(`the server did not accept your token (expired or revoked?): ${LOGIN_HINT}`, EXIT.auth);
  if (res.status >= 500) return new CliError(`the server failed (HTTP ${res.status}): ${message}`, EXIT.unreachable);
  // A refused model lists its problems under `details.problems` ([{ code, message, member? }]).
  const raw = body?.error?.details as { problems?: unknown } | unknown[] | undefined;
  const problems = raw && !Array.isArray(raw) && Array.isArray(raw.problems) ? (raw.problems as unknown[]) : null;
  if (body?.error?.code === 'invalid_model' && problems) {
    return new CliError(['the server refused the model (nothing was recorded or charged):', ...problems.map((d) => `  - ${detailLine(d)}`)].join('\n'), EXIT.refused);
  }
  const details = (Array.isArray(raw) ? raw : (problems ?? [])).map(detailLine);
  return new CliError([message, ...details.map((d) => `  - ${d}`)].join('\n'), EXIT.refused);
}

function detailLine(d: unknown): string {
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    const where = [o.file, o.field, o.row === undefined ? undefined : `row ${String(o.row)}`].filter(Boolean).join(': ');
    if (typeof o.message === 'string') return where ? `${where}: ${o.message}` : o.message;
  }
  return typeof d === 'string' ? d : JSON.stringify(d);
}
