// The Team tab in Chromium: an instructor caps teams at two; one student names a team and shares
// its invite link, a second merges through it, a third is invited by name but cannot accept (the
// team is full) until the invite is withdrawn; the second leaves again, and the third then accepts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axe, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-teams';
const run = Date.now().toString(36);
const teacher = { name: 'Tess Instructor', email: `tess-${run}@example.test` };
const ada = { name: 'Ada Student', email: `ada-${run}@example.test` };
const ben = { name: 'Ben Student', email: `ben-${run}@example.test` };
const cleo = { name: 'Cleo Student', email: `cleo-${run}@example.test` };
const TEAM = 'Glomerulus Hunters';

async function members(page: Page): Promise<string[]> {
  return (await page.getByTestId('team-members').locator('li').allTextContents()).map((t) => t.replace(/\s*you\s*$/, '').trim());
}

describe('teams on the Team tab in Chromium', { timeout: 8 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  const browsers: Record<'ada' | 'ben' | 'cleo', Browser> = {} as never;
  const pages: Record<'ada' | 'ben' | 'cleo', Page> = {} as never;
  let joinCode = '';
  let inviteUrl = '';
  const axeFailures: string[] = [];

  async function checkAxe(page: Page, what: string) {
    const v = await axe(page);
    if (v.length) axeFailures.push(`${what}\n${describeViolations(v)}`);
  }

  before(async () => {
    stack = await startStack();
    teacherBrowser = await launch();
    for (const k of ['ada', 'ben', 'cleo'] as const) browsers[k] = await launch();
  });

  after(async () => {
    await teacherBrowser?.close();
    for (const b of Object.values(browsers)) await b?.close();
    await stack?.stop();
  });

  it('instructor creates a competition and allows teams of two', async () => {
    const page = await teacherBrowser.context.newPage();
    await register(page, stack.web, teacher);
    await page.goto(`${stack.web}/console`);
    await page.getByLabel('Course name').fill('Teams 101');
    await page.getByRole('button', { name: 'Create course' }).click();
    await page.getByRole('status').filter({ hasText: 'Created Teams 101' }).waitFor();
    joinCode = (await page.getByTestId('console-join-code').first().textContent())!.trim();

    await page.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await page.getByLabel('Slug (optional)').fill(SLUG);
    await page.getByRole('button', { name: 'Create competition' }).click();
    await page.waitForURL(`${stack.web}/console/competitions/${SLUG}`);
    await page.getByText('Teams merge on the Team tab until this date; left empty, until the close.').waitFor();
    await page.getByLabel('Largest team').fill('2');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Largest team').inputValue(), '2');
  });

  it('three students join the course', async () => {
    for (const [k, who] of [['ada', ada], ['ben', ben], ['cleo', cleo]] as const) {
      const page = await browsers[k].context.newPage();
      await register(page, stack.web, who);
      await page.getByLabel('Course code').fill(joinCode);
      await page.getByRole('button', { name: 'Join' }).click();
      await page.getByRole('status').filter({ hasText: 'Teams 101' }).waitFor();
      // Everyone starts as a team of one, named after them.
      await page.goto(`${stack.web}/competitions/${SLUG}/team`);
      assert.equal(await page.getByTestId('team-name').textContent(), who.name);
      assert.equal((await page.getByTestId('team-size').textContent())?.trim(), '1 of 2');
      pages[k] = page;
    }
  });

  it('a student names the team, makes an invite link and invites a team by name', async () => {
    const page = pages.ada;
    await page.goto(`${stack.web}/competitions/${SLUG}`);
    // A name that no team has is refused in words.
    await page.goto(`${stack.web}/competitions/${SLUG}/team`);
    await page.getByLabel('Invite a team by name').fill('Nobody Here');
    await page.getByRole('button', { name: 'Send invite' }).click();
    await page.getByRole('alert').filter({ hasText: 'No team is called "Nobody Here" in this competition.' }).waitFor();
    await page.goto(`${stack.web}/competitions/${SLUG}`);
    await page.getByRole('navigation', { name: 'Competition' }).getByRole('link', { name: 'Team', exact: true }).click();
    await page.waitForURL(`${stack.web}/competitions/${SLUG}/team`);
    assert.equal((await page.getByTestId('team-size').textContent())?.trim(), '1 of 2');
    assert.deepEqual(await members(page), [ada.name]);
    // A team of one has no one to leave.
    assert.equal(await page.getByRole('button', { name: 'Leave the team' }).isDisabled(), true);
    assert.match((await page.getByTestId('leave-problem').textContent()) ?? '', /^You are the only member of your team\.$/);

    await page.getByLabel('Team name').fill(TEAM);
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('status').filter({ hasText: `Your team is called ${TEAM} now.` }).waitFor();
    assert.equal(await page.getByTestId('team-name').textContent(), TEAM);

    await page.getByRole('button', { name: 'Make an invite link' }).click();
    await page.getByRole('status').filter({ hasText: 'Invite link made' }).waitFor();
    inviteUrl = await page.getByLabel('Invite link').inputValue();
    assert.match(inviteUrl, new RegExp(`^${stack.web.replace(/[.]/g, '\\.')}/competitions/${SLUG}/team\\?code=[\\w-]{10,}$`));

    // Cleo's team still carries her name; a team of one plus one fits.
    await page.getByLabel('Invite a team by name').fill(cleo.name);
    await page.getByRole('button', { name: 'Send invite' }).click();
    await page.getByRole('status').filter({ hasText: `Invite sent to ${cleo.name}` }).waitFor();
    assert.equal(await page.getByTestId('invite-sent').count(), 1);
    await screenshot(page, 'team-invite-link');
    await checkAxe(page, 'team page with an invite link and a sent invite');
  });

  it('a second student opens the link, sees the preview and merges into the team', async () => {
    const page = pages.ben;
    await page.goto(inviteUrl);
    const preview = page.getByTestId('team-link-preview');
    await preview.getByText(`Merge your team into ${TEAM} (1 member)?`).waitFor();
    await screenshot(page, 'team-link-preview');
    await checkAxe(page, 'team page opened from an invite link');
    await preview.getByRole('button', { name: `Merge into ${TEAM}` }).click();
    await page.getByRole('status').filter({ hasText: `Your team merged into ${TEAM}.` }).waitFor();
    await page.waitForURL(`${stack.web}/competitions/${SLUG}/team`);
    assert.equal(await page.getByTestId('team-link-preview').count(), 0);
    assert.equal(await page.getByTestId('team-name').textContent(), TEAM);
    assert.equal((await page.getByTestId('team-size').textContent())?.trim(), '2 of 2');
    assert.deepEqual(await members(page), [ada.name, ben.name]);
    // No submissions yet, and merging is open: leaving is offered.
    assert.equal(await page.getByRole('button', { name: 'Leave the team' }).isEnabled(), true);
    await screenshot(page, 'team-merged');

    await pages.ada.reload();
    assert.equal((await pages.ada.getByTestId('team-size').textContent())?.trim(), '2 of 2');
    assert.deepEqual(await members(pages.ada), [ada.name, ben.name]);
  });

  it('the invited team sees the size problem and cannot accept; the inviter withdraws and may not invite again', async () => {
    const page = pages.cleo;
    await page.goto(`${stack.web}/competitions/${SLUG}/team`);
    const invite = page.getByTestId('invite-received');
    assert.equal(await invite.count(), 1);
    await invite.getByText(TEAM).waitFor();
    assert.match((await invite.getByTestId('invite-problem').textContent()) ?? '', /^The merged team would have 3 members; at most 2 are allowed\.$/);
    assert.equal(await invite.getByRole('button', { name: 'Accept' }).isDisabled(), true);
    assert.equal(await invite.getByRole('button', { name: 'Decline' }).isEnabled(), true);
    await screenshot(page, 'team-invite-problem');
    await checkAxe(page, 'team page with an invite that cannot be accepted');

    const a = pages.ada;
    const sent = a.getByTestId('invite-sent');
    await sent.getByText(/They cannot accept now: .*at most 2/).waitFor();
    await sent.getByRole('button', { name: 'Withdraw' }).click();
    await a.getByRole('status').filter({ hasText: `Invite to ${cleo.name} withdrawn.` }).waitFor();
    assert.equal(await a.getByTestId('invite-sent').count(), 0);
    // The team is full: a new invite is refused, with the rule in words.
    await a.getByLabel('Invite a team by name').fill(cleo.name);
    await a.getByRole('button', { name: 'Send invite' }).click();
    const refused = a.getByRole('alert').filter({ hasText: 'at most 2 are allowed' });
    await refused.waitFor();
    assert.match((await refused.textContent()) ?? '', /^You cannot merge with "Cleo Student" now: the merged team would have 3 members/);
    await screenshot(a, 'team-invite-refused');

    await page.reload();
    assert.equal(await page.getByTestId('invite-received').count(), 0);
  });

  it('a member leaves before the team submitted; then the invited team accepts', async () => {
    const b = pages.ben;
    await b.getByRole('button', { name: 'Leave the team' }).click();
    await b.getByRole('status').filter({ hasText: 'You left the team' }).waitFor();
    assert.equal((await b.getByTestId('team-size').textContent())?.trim(), '1 of 2');
    assert.deepEqual(await members(b), [ben.name]);

    const a = pages.ada;
    await a.reload();
    assert.deepEqual(await members(a), [ada.name]);
    await a.getByLabel('Invite a team by name').fill(cleo.name);
    await a.getByRole('button', { name: 'Send invite' }).click();
    await a.getByRole('status').filter({ hasText: `Invite sent to ${cleo.name}` }).waitFor();

    const c = pages.cleo;
    await c.reload();
    const invite = c.getByTestId('invite-received');
    assert.equal(await invite.getByTestId('invite-problem').count(), 0);
    await invite.getByRole('button', { name: 'Accept' }).click();
    await c.getByRole('status').filter({ hasText: `Your team merged into ${TEAM}.` }).waitFor();
    assert.equal(await c.getByTestId('team-name').textContent(), TEAM);
    assert.deepEqual(await members(c), [ada.name, cleo.name]);
    await screenshot(c, 'team-accepted');
    await checkAxe(c, 'team page after accepting an invite');
  });

  it('the team page passes axe (WCAG 2.1 A/AA, serious and critical)', () => {
    assert.deepEqual(axeFailures, [], axeFailures.join('\n\n'));
  });
});
