import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { AUTH, type MeDto, type SessionDto, type TokenDto } from '@holdout/contracts';
import { parseCommandLine } from '../args.cjs';
import { Api, errorOf } from '../client/api.js';
import { forgetLogin, normaliseUrl, readLogin, writeLogin } from '../client/config.js';
import { CliError, EXIT } from '../client/errors.js';
import { OUTPUT_HELP, OUTPUT_OPTIONS, printJson } from '../client/output.js';

const LOGIN_USAGE = `Usage: holdout login [--url URL] [--token TOKEN | --email EMAIL [--password-stdin]]

Signs in to a Holdout server and stores the server and a personal API token in
~/.holdout/config.json (readable by you only). With --email, asks for your password (or reads it
from standard input with --password-stdin) and creates a token named after this machine; with
--token, stores a token you created (POST /api/tokens). HOLDOUT_URL and HOLDOUT_TOKEN override
the stored login.

Options:
  --url <url>         the server, e.g. https://holdout.example.edu (default: the stored one)
  --email <email>     your account's e-mail address
  --password-stdin    read the password from standard input
  --token <token>     a personal API token (hko_…) instead of e-mail and password
${OUTPUT_HELP}
`;

const LOGOUT_USAGE = `Usage: holdout logout

Forgets the stored token (the server address is kept). Revoke it on the server too if it leaked:
DELETE /api/tokens/<id>.

Options:
${OUTPUT_HELP}
`;

const WHOAMI_USAGE = `Usage: holdout whoami [--json]

Who the stored token signs in as, on which server, and your courses.

Options:
${OUTPUT_HELP}
`;

export async function login(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: LOGIN_USAGE,
    options: { url: { type: 'string' }, email: { type: 'string' }, 'password-stdin': { type: 'boolean' }, token: { type: 'string' }, ...OUTPUT_OPTIONS },
  });
  if (line === null) return;
  const v = line.values;
  const url = normaliseUrl((v.url as string | undefined) || process.env.HOLDOUT_URL || (await readLogin())?.url || null);
  if (!url) throw new CliError('which server? pass --url https://… (the address of the Holdout web app or API)', EXIT.usage);
  let token = v.token as string | undefined;
  if (!token) {
    const email = (v.email as string | undefined) ?? (await ask('E-mail: '));
    const password = v['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : await ask('Password: ', true);
    token = await createToken(url, email, password);
  }
  const me = await new Api(url, token).json<MeDto>('GET', '/me');
  const file = await writeLogin({ url, token });
  if (v.json) printJson({ url, user: { email: me.email, displayName: me.displayName }, config: file });
  else if (!v.quiet) process.stdout.write(`Signed in to ${url} as ${me.displayName} <${me.email}>; the token is stored in ${file}.\n`);
}

export async function logout(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: LOGOUT_USAGE, options: { ...OUTPUT_OPTIONS } });
  if (line === null) return;
  await forgetLogin();
  if (line.values.json) printJson({ signedOut: true });
  else if (!line.values.quiet) process.stdout.write('Signed out: the stored token is forgotten.\n');
}

export async function whoami(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: WHOAMI_USAGE, options: { ...OUTPUT_OPTIONS } });
  if (line === null) return;
  const api = await Api.signedIn();
  const me = await api.json<MeDto>('GET', '/me');
  if (line.values.json) return printJson({ url: api.url, ...me });
  process.stdout.write(`${me.displayName} <${me.email}>${me.isAdmin ? ' (site admin)' : ''} on ${api.url}\n`);
  for (const c of me.courses) process.stdout.write(`  ${c.name}: ${c.role}\n`);
}

/** Signs in with e-mail and password (a session), creates a personal token with it, signs out. */
async function createToken(url: string, email: string, password: string): Promise<string> {
  const anonymous = new Api(url, null);
  const res = await anonymous.fetch('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status === 401) throw new CliError('wrong e-mail or password', EXIT.auth);
  if (!res.ok) throw await errorOf(res);
  const session = (await res.json()) as SessionDto;
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const headers = { cookie, [AUTH.csrfHeader]: session.csrfToken, 'content-type': 'application/json' };
  const created = await anonymous.fetch('/tokens', { method: 'POST', headers, body: JSON.stringify({ name: `holdout CLI on ${hostname()}`.slice(0, 100) }) });
  if (!created.ok) throw await errorOf(created);
  const token = ((await created.json()) as TokenDto).token;
  await anonymous.fetch('/auth/logout', { method: 'POST', headers }).catch(() => undefined);
  if (!token) throw new CliError('the server created no token', EXIT.unreachable);
  return token;
}

async function ask(prompt: string, secret = false): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError(`${prompt.replace(/: $/, '')} needed: pass it as an option (see holdout login --help)`, EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (secret) {
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.includes(prompt)) process.stderr.write(prompt);
    };
  }
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    if (secret) process.stderr.write('\n');
    rl.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

