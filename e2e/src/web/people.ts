// Steps every browser journey takes: signing up, and waiting for what a server-rendered page shows on reload.
import type { Page } from 'playwright-core';

export const PASSWORD = 'correct horse battery';

export async function register(page: Page, base: string, who: { name: string; email: string }) {
  await page.goto(`${base}/register`);
  await page.getByLabel('Display name').fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${base}/join`);
  await page.getByTestId('whoami').filter({ hasText: who.name }).waitFor();
}

/** Reloads until `check` passes (server-rendered pages show new state on reload). */
export async function eventually(page: Page, check: () => Promise<boolean>, what: string, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(1500);
    await page.reload();
  }
}

/** An instructor (signed in on `page`) opens a course from the console; answers its join code. */
export async function createCourse(page: Page, base: string, name: string): Promise<string> {
  await page.goto(`${base}/console`);
  await page.getByLabel('Course name').fill(name);
  await page.getByRole('button', { name: 'Create course' }).click();
  await page.getByRole('status').filter({ hasText: `Created ${name}` }).waitFor();
  return (await page.getByRole('row').filter({ hasText: name }).getByTestId('console-join-code').textContent())!.trim();
}

/** A signed-in student enters a course code on /join and waits until it says they joined `course`. */
export async function joinCourse(page: Page, base: string, code: string, course: string) {
  await page.goto(`${base}/join`);
  await page.getByLabel('Course code').fill(code);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.getByRole('status').filter({ hasText: course }).waitFor();
}
