// The notification bell in Chromium: one student invites another's team by name; the invited
// student's bell counts it without a reload, its panel lists it, following the link opens the Team
// tab and marks it read; the e-mail switch holds across a reload; the bell fits the phone header.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axe, cspViolations, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-bell';
const run = Date.now().toString(36);
const teacher = { name: 'Tia Instructor', email: `tia-${run}@example.test` };
const ada = { name: 'Ada Bell', email: `ada-bell-${run}@example.test` };
const ben = { name: 'Ben Bell', email: `ben-bell-${run}@example.test` };
const PHONE = { width: 390, height: 844 };

const bell = (page: Page) => page.getByRole('button', { name: /^Notifications/ });
const panel = (page: Page) => page.getByRole('dialog', { name: 'Notifications' });

describe('the notification bell in Chromium', { timeout: 6 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  let adaBrowser: Browser;
  let benBrowser: Browser;
  let a: Page;
  let b: Page;
  let joinCode = '';

  before(async () => {
    stack = await startStack();
    teacherBrowser = await launch();
    adaBrowser = await launch();
    benBrowser = await launch();
  });

  after(async () => {
    for (const br of [teacherBrowser, adaBrowser, benBrowser]) await br?.close();
    await stack?.stop();
  });

  it('an instructor opens a course with a competition, and two students join', async () => {
    const page = await teacherBrowser.context.newPage();
    await register(page, stack.web, teacher);
    await page.goto(`${stack.web}/console`);
    await page.getByLabel('Course name').fill('Bells 101');
    await page.getByRole('button', { name: 'Create course' }).click();
    await page.getByRole('status').filter({ hasText: 'Created Bells 101' }).waitFor();
    joinCode = (await page.getByTestId('console-join-code').first().textContent())!.trim();
    await page.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await page.getByLabel('Slug (optional)').fill(SLUG);
    await page.getByRole('button', { name: 'Create competition' }).click();
    await page.waitForURL(`${stack.web}/console/competitions/${SLUG}`);

    for (const [who, br] of [[ada, adaBrowser], [ben, benBrowser]] as const) {
      const p = await br.context.newPage();
      await register(p, stack.web, who);
      await p.getByLabel('Course code').fill(joinCode);
      await p.getByRole('button', { name: 'Join' }).click();
      await p.getByRole('status').filter({ hasText: 'Bells 101' }).waitFor();
      if (who === ada) a = p;
      else b = p;
    }
  });

  it('the invited student\'s bell counts the invitation without a reload', async () => {
    await b.goto(`${stack.web}/competitions/${SLUG}`);
    // Nothing yet: the bell carries no count.
    await bell(b).and(b.getByRole('button', { name: 'Notifications', exact: true })).waitFor();
    assert.equal(await b.getByTestId('notifications-count').count(), 0);

    await a.goto(`${stack.web}/competitions/${SLUG}/team`);
    await a.getByLabel('Invite a team by name').fill(ben.name);
    await a.getByRole('button', { name: 'Send invite' }).click();
    await a.getByRole('status').filter({ hasText: `Invite sent to ${ben.name}` }).waitFor();

    const url = b.url();
    await b.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor({ timeout: 15_000 });
    assert.equal((await b.getByTestId('notifications-count').textContent())?.trim(), '1');
    assert.equal(b.url(), url, 'the page was not reloaded');
  });

  it('the panel lists the invitation; following it opens the Team tab and marks it read', async () => {
    await bell(b).click();
    const p = panel(b);
    await p.waitFor();
    assert.equal(await bell(b).getAttribute('aria-expanded'), 'true');
    // Focus moves into the panel, and Escape closes it, giving focus back to the bell.
    assert.equal(await b.evaluate(() => document.activeElement?.id), 'notifications-panel');
    await b.keyboard.press('Escape');
    await p.waitFor({ state: 'detached' });
    assert.equal(await b.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Notifications, 1 unread');

    await bell(b).click();
    const link = p.getByRole('link', { name: new RegExp(`^Unread: Team ${ada.name} invites your team to merge in `) });
    await link.waitFor();
    assert.equal(await p.getByRole('listitem').count(), 1);
    assert.match((await p.locator('time').textContent()) ?? '', /^(just now|\d+ min ago)$/);
    assert.equal(await p.getByRole('checkbox', { name: 'E-mail me too' }).isChecked(), true);
    await screenshot(b, 'notifications-bell');
    const v = await axe(b);
    assert.deepEqual(v, [], describeViolations(v));

    await link.click();
    await b.waitForURL(`${stack.web}/competitions/${SLUG}/team`);
    await b.getByTestId('invite-received').getByText(ada.name).first().waitFor();
    await b.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    assert.equal(await b.getByTestId('notifications-count').count(), 0);
    // The server agrees: it stays read after a reload.
    await b.reload();
    await b.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    await b.waitForTimeout(1000); // the stream's first count has arrived by now
    assert.equal(await b.getByTestId('notifications-count').count(), 0);
    await bell(b).click();
    await panel(b).getByRole('link', { name: /^Team .* invites your team to merge/ }).waitFor();
    assert.equal(await panel(b).getByText('Unread:').count(), 0);
  });

  it('switching e-mail off holds across a reload', async () => {
    const box = panel(b).getByRole('checkbox', { name: 'E-mail me too' });
    const saved = b.waitForResponse((r) => r.url().endsWith('/api/me/preferences') && r.request().method() === 'PUT');
    await box.uncheck();
    assert.equal((await saved).status(), 200);
    assert.equal(await box.isChecked(), false);
    await b.reload();
    await bell(b).click();
    const again = panel(b).getByRole('checkbox', { name: 'E-mail me too' });
    await again.and(b.locator(':enabled')).waitFor();
    assert.equal(await again.isChecked(), false);
    // A click outside closes the panel.
    await b.locator('main').click({ position: { x: 5, y: 5 } });
    await panel(b).waitFor({ state: 'detached' });
  });

  it('the bell fits the phone header', async () => {
    const phone = await launch({ viewport: PHONE });
    try {
      await phone.context.addCookies(await benBrowser.context.cookies());
      const page = await phone.context.newPage();
      // The bell's open stream does not keep the page from going network-idle (the axe passes wait for it).
      await page.goto(`${stack.web}/competitions`, { waitUntil: 'networkidle', timeout: 10_000 });
      const button = bell(page);
      await button.waitFor();
      const [bellBox, signOut, nav, header] = await Promise.all([
        button.boundingBox(),
        page.getByRole('button', { name: 'Sign out' }).boundingBox(),
        page.getByRole('navigation', { name: 'Main' }).boundingBox(),
        page.locator('.site-header').boundingBox(),
      ]);
      assert.ok(bellBox && signOut && nav && header);
      // On the first row, beside Sign out, above the nav; the header stays two short rows.
      assert.ok(Math.abs(bellBox.y - signOut.y) <= 4, `bell ${JSON.stringify(bellBox)} and sign out ${JSON.stringify(signOut)} share a row`);
      assert.ok(bellBox.y + bellBox.height <= nav.y + 1, 'the bell sits above the nav row');
      assert.ok(header.height <= 100, `the header takes ${header.height}px on a phone`);
      await screenshot(page, 'notifications-phone');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const wide = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 5)
          .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
      );
      assert.ok(overflow <= 1, `the phone layout scrolls sideways by ${overflow}px: ${wide.join(', ')}`);
      // The panel spans the screen and stays on it.
      await button.click();
      const box = await panel(page).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the panel is off screen: ${JSON.stringify(box)}`);
      await screenshot(page, 'notifications-phone-open');
      const v = await axe(page);
      assert.deepEqual(v, [], describeViolations(v));
    } finally {
      await phone.close();
    }
  });

  it('no page broke the Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
