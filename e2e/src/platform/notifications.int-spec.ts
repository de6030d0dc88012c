import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { NotificationsDto } from '@holdout/contracts';
import { SMTPServer } from 'smtp-server';
import { Client, createTestEnv, eventually, FixtureBundles, startApi, type TestApi, type TestEnv } from '@holdout/api/testing';
import { readSse } from './sse.js';

const DAY = 86_400_000;

describe('notifications: the bell, live, and by e-mail unless switched off', () => {
  let env: TestEnv;
  let api: TestApi;
  let smtp: SMTPServer;
  const mails: string[] = [];
  let prof: Client;
  let ann: Client;
  let bob: Client;

  before(async () => {
    env = await createTestEnv('notifications');
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _s, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => (mails.push(Buffer.concat(chunks).toString('utf8')), done()));
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const { port } = smtp.server.address() as AddressInfo;
    api = await startApi(env, new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) })), {
      courseCreation: 'anyone',
      mailUrl: `smtp://127.0.0.1:${port}`,
      webUrl: 'https://holdout.example.edu',
    });
    prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await prof.post('/api/courses').send({ name: 'N' })).body;
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'note', courseId: course.id })).status, 201);
    ann = await Client.register(api.server, 'ann@example.com', 'Ann');
    bob = await Client.register(api.server, 'bob@example.com', 'Bob');
    for (const c of [ann, bob]) await c.post('/api/courses/join').send({ code: course.joinCode });
  });
  after(async () => {
    await api?.close();
    await new Promise<void>((r) => smtp?.close(() => r()));
    await env?.drop();
  });

  it('a team invitation reaches the invited team in the bell, live, and by mail; nobody else', async () => {
    await bob.get('/api/competitions/note/team');
    const live = readSse<{ type: string; unread: number }>(api.server, '/api/notifications/events', { cookie: bob.cookie }, (e) => e.unread === 1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await ann.post('/api/competitions/note/team/invites').send({ teamName: 'Bob' })).status, 201);
    const events = await live;
    assert.deepEqual(events.map((e) => e.unread), [0, 1]);
    const mine = (await bob.get('/api/notifications')).body as NotificationsDto;
    assert.equal(mine.unread, 1);
    assert.deepEqual(mine.items.map((n) => [n.kind, n.link, n.read]), [['team-invite', '/competitions/note/team', false]]);
    assert.match(mine.items[0]!.title, /^Team Ann invites your team to merge in /);
    assert.equal(((await ann.get('/api/notifications')).body as NotificationsDto).unread, 0, 'not the inviter\'s');
    const mail = await eventually(async () => mails.find((m) => /^To: bob@example\.com/m.test(m)), { what: 'the mail' });
    assert.match(mail, /^Subject: Team Ann invites your team to merge/m);
    assert.match(mail.replace(/=\r?\n/g, ''), /https:\/\/holdout\.example\.edu\/competitions\/note\/team/);
    const read = await bob.post('/api/notifications/read').send({});
    assert.equal((read.body as NotificationsDto).unread, 0);
  });

  it('the reveal tells every participant; one who switched e-mail off gets no mail, only the bell', async () => {
    await ann.get('/api/competitions/note/team');
    const off = await ann.put('/api/me/preferences').send({ emailNotifications: false });
    assert.equal(off.status, 200);
    assert.equal((off.body as NotificationsDto).emailNotifications, false);
    assert.equal((await ann.put('/api/me/preferences').send({ email: false })).status, 400, 'unknown fields are refused');
    const before = mails.length;
    assert.equal((await prof.post('/api/competitions/note/close')).status, 200);
    for (const c of [ann, bob]) {
      const n = await eventually(async () => ((await c.get('/api/notifications')).body as NotificationsDto).items.find((i) => i.kind === 'reveal'), { what: 'the reveal notice' });
      assert.equal(n.link, '/competitions/note/leaderboard?split=private');
    }
    await eventually(async () => (mails.slice(before).some((m) => /^To: bob@/m.test(m)) ? true : undefined), { what: 'bob\'s mail' });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(mails.slice(before).filter((m) => /^To: ann@/m.test(m)).length, 0, 'no mail for ann');
    const [state] = (await env.ds.query(`SELECT n.email_state FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = 'ann@example.com' AND n.kind = 'reveal'`)) as { email_state: string }[];
    assert.equal(state!.email_state, 'skipped');
    assert.equal(((await prof.get('/api/notifications')).body as NotificationsDto).items.length, 0, 'staff did not take part');
  });
});
