import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './stack.js';

// The API throttles failed sign-ins per client address, which it learns from the X-Forwarded-For
// the web's /api proxy passes on. Under `next start` a client could name any address in its own
// header and never be throttled; apps/web/server.mjs sets it from the connection.
describe('the client address the API counts, through the web server', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('is the connection\'s: a client that makes up a new X-Forwarded-For for every wrong password is still throttled', async () => {
    const statuses: number[] = [];
    let last: { error?: { code: string; message: string } } = {};
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${stack.web}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: stack.web, 'x-forwarded-for': `203.0.113.${i + 1}` },
        body: JSON.stringify({ email: 'victim@example.test', password: `guess-${i}` }),
      });
      statuses.push(r.status);
      last = (await r.json()) as typeof last;
    }
    // Ten failures for one account from one address, then the wait (HOLDOUT_LOGIN_ATTEMPTS_PER_IP / 3).
    assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429], JSON.stringify(last));
    assert.equal(last.error?.code, 'too_many_attempts');
    assert.match(last.error?.message ?? '', /try again in \d+ s/);
  });
});
