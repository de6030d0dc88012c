import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { Client, createTestEnv, eventually, FixtureBundles, startApi, type TestApi, type TestEnv } from '../../testing/index.js';

/** A real SMTP server on loopback that keeps what it receives. */
async function startSmtp(): Promise<{ url: string; mails: string[]; close: () => Promise<void> }> {
  const mails: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8'));
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The reset link's token in a mail (quoted-printable soft breaks undone). */
const tokenIn = (mail: string) => {
  const body = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = /https:\/\/holdout\.example\.edu\/reset-password\?token=([^\s]+)/.exec(body);
  return m ? decodeURIComponent(m[1]!) : null;
};

describe('password reset', () => {
  let env: TestEnv;
  let api: TestApi;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let logged: TestApi | undefined;
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(0), closesAt: new Date(Date.now() + 86_400_000) }));

  before(async () => {
    env = await createTestEnv('password_reset');
    smtp = await startSmtp();
    api = await startApi(env, bundles, { mailUrl: smtp.url, mailFrom: 'Holdout <noreply@holdout.example.edu>', webUrl: 'https://holdout.example.edu' });
  });
  after(async () => {
    await logged?.close();
    await api?.close();
    await smtp?.close();
    await env?.drop();
  });

  it('mails a signed link through SMTP; the link sets a new password once and signs the account out everywhere', async () => {
    const ada = await Client.register(api.server, 'ada@example.com', 'Ada', 'first password');
    assert.equal((await ada.get('/api/me')).status, 200);
    const asked = await request(api.server).post('/api/auth/password-reset').send({ email: 'ADA@example.com ' });
    assert.equal(asked.status, 202);
    const mail = await eventually(async () => smtp.mails[0], { what: 'the mail' });
    assert.match(mail, /^To: ada@example\.com/m);
    assert.match(mail, /^From: Holdout <noreply@holdout\.example\.edu>/m);
    assert.match(mail, /^Subject: Reset your Holdout password/m);
    const token = tokenIn(mail);
    assert.ok(token, mail);

    // A made-up or altered token changes nothing.
    const forged = `${token.slice(0, -4)}AAAA`;
    const refused = await request(api.server).post('/api/auth/password-reset/confirm').send({ token: forged, password: 'second password' });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /invalid, used already or expired/);
    const short = await request(api.server).post('/api/auth/password-reset/confirm').send({ token, password: 'short' });
    assert.equal(short.status, 400);

    const done = await request(api.server).post('/api/auth/password-reset/confirm').send({ token, password: 'second password' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((await ada.get('/api/me')).status, 401, 'the old session ended');
    assert.equal((await request(api.server).post('/api/auth/login').send({ email: 'ada@example.com', password: 'first password' })).status, 401);
    assert.equal((await request(api.server).post('/api/auth/login').send({ email: 'ada@example.com', password: 'second password' })).status, 200);
    // The link works once.
    const again = await request(api.server).post('/api/auth/password-reset/confirm').send({ token, password: 'third password' });
    assert.equal(again.status, 400);
  });

  it('answers the same for an unknown account and sends nothing; an expired link is refused', async () => {
    const before = smtp.mails.length;
    const unknown = await request(api.server).post('/api/auth/password-reset').send({ email: 'nobody@example.com' });
    const known = await request(api.server).post('/api/auth/password-reset').send({ email: 'ada@example.com' });
    assert.equal(unknown.status, 202);
    assert.deepEqual(unknown.body, known.body, 'no account discovery');
    await eventually(async () => (smtp.mails.length === before + 1 ? true : undefined), { what: 'the one mail' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.mails.length, before + 1, 'no mail for an unknown address');
    // The same token shape with an expiry in the past.
    const [user] = (await env.ds.query(`SELECT id FROM users WHERE email = 'ada@example.com'`)) as { id: string }[];
    const expired = await request(api.server).post('/api/auth/password-reset/confirm').send({ token: `${user!.id}.${Date.now() - 1000}.${'x'.repeat(43)}`, password: 'another password' });
    assert.equal(expired.status, 400);
    const bad = await request(api.server).post('/api/auth/password-reset').send({ email: 'not-an-email' });
    assert.equal(bad.status, 400);
  });

  it('limits requests: silently per account (no mail flood), with a 429 per address', async () => {
    const before = smtp.mails.length;
    await Client.register(api.server, 'bob@example.com', 'Bob', 'bob password 1');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await request(api.server).post('/api/auth/password-reset').send({ email: 'bob@example.com' })).status);
    assert.deepEqual(statuses.slice(0, 7), [202, 202, 202, 202, 202, 202, 202]);
    assert.equal(statuses.at(-1), 429, statuses.join(','));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(smtp.mails.filter((m) => /^To: bob@/m.test(m)).length, 3, `${smtp.mails.length - before} mails`);
  });

  it('by default writes the mail to the API log (HOLDOUT_MAIL_URL=log:)', async () => {
    // A second API on the same database (closed with the first: they share its connection pool),
    // with its own Redis counters (the address is over its request limit by now).
    logged = await startApi(env, bundles, { mailUrl: 'log:', webUrl: 'https://holdout.example.edu', logLevel: 'info', queuePrefix: `${env.config.queuePrefix}_log` });
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      await Client.register(logged.server, 'cy@example.com', 'Cy', 'cy password 1');
      assert.equal((await request(logged.server).post('/api/auth/password-reset').send({ email: 'cy@example.com' })).status, 202);
      const line = await eventually(async () => lines.find((l) => l.includes('"mail (HOLDOUT_MAIL_URL=log:)"')), { what: 'the logged mail' });
      const entry = JSON.parse(line) as { to: string; subject: string; text: string };
      assert.equal(entry.to, 'cy@example.com');
      assert.ok(tokenIn(entry.text), entry.text);
    } finally {
      process.stdout.write = write;
    }
  });
});
