import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `holdout login` stores: the server and a personal API token. */
export interface StoredLogin {
  url: string;
  token?: string;
}

/** `~/.holdout` (or `$HOLDOUT_CONFIG_DIR`). */
export function configDir(): string {
  return process.env.HOLDOUT_CONFIG_DIR ?? join(homedir(), '.holdout');
}

export function configFile(): string {
  return join(configDir(), 'config.json');
}

export async function readLogin(): Promise<StoredLogin | null> {
  try {
    const parsed = JSON.parse(await readFile(configFile(), 'utf8')) as Partial<StoredLogin>;
    return typeof parsed.url === 'string' ? { url: parsed.url, token: typeof parsed.token === 'string' ? parsed.token : undefined } : null;
  } catch {
    return null;
  }
}

/** Writes the login readable by its owner only (0600 in a 0700 directory): it holds a secret. */
export async function writeLogin(login: StoredLogin): Promise<string> {
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const file = configFile();
  await writeFile(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // an older file keeps its mode on write
  return file;
}

export async function forgetLogin(): Promise<void> {
  const login = await readLogin();
  if (login) await writeLogin({ url: login.url });
  else await rm(configFile(), { force: true });
}

/** The server and token in force: `HOLDOUT_URL` / `HOLDOUT_TOKEN` override the stored login. */
export async function currentLogin(): Promise<{ url: string | null; token: string | null }> {
  const stored = await readLogin();
  return {
    url: normaliseUrl(process.env.HOLDOUT_URL || stored?.url || null),
    token: process.env.HOLDOUT_TOKEN || stored?.token || null,
  };
}

/** `http://host:4000/` → `http://host:4000` (the API is under `/api` of it). */
export function normaliseUrl(url: string | null): string | null {
  if (!url) return null;
  return url.replace(/\/+$/, '').replace(/\/api$/, '');
}
