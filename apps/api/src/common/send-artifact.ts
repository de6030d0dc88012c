import { createReadStream } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { ArtifactNotFoundError, type ArtifactStore } from '@holdout/db';
import type { Response } from 'express';
import { notFound } from './domain-error.js';

/**
 * Hands a stored object to the client as a download (`Content-Disposition: attachment`, never
 * rendered): a store that gives presigned URLs (S3) answers with a redirect to one, so the API
 * does not proxy the bytes; the local store's file is streamed. Access is the caller's to check
 * first; `what` names the object in a 404.
 */
export async function sendArtifact(res: Response, store: ArtifactStore, key: string, o: { fileName: string; contentType: string; what: string }): Promise<void> {
  const d = await store.download(key, { fileName: o.fileName, contentType: o.contentType }).catch(notFoundAs(o.what));
  res.setHeader('x-content-type-options', 'nosniff');
  if (d.type === 'url') {
    res.setHeader('cache-control', 'private, no-store');
    res.redirect(302, d.url);
    return;
  }
  res.attachment(o.fileName);
  res.setHeader('content-type', o.contentType);
  res.setHeader('content-length', String(d.size));
  await pipeline(createReadStream(d.path), res);
}

/** A stored object's bytes (read whole: a log, an uploaded kernel), or `notFound(what)`. */
export async function readArtifact(store: ArtifactStore, key: string, what: string): Promise<Buffer> {
  return buffer(await store.get(key).catch(notFoundAs(what)));
}

/** A stored object's text, or `notFound(what)`. */
export async function readArtifactText(store: ArtifactStore, key: string, what: string): Promise<string> {
  return (await readArtifact(store, key, what)).toString('utf8');
}

/** A store's "no such object" as the API's 404 naming `what`; other errors as they are. */
function notFoundAs(what: string): (err: unknown) => never {
  return (err) => {
    throw err instanceof ArtifactNotFoundError ? notFound(what) : err;
  };
}
