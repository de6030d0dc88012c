import { createReadStream } from 'node:fs';
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
  const d = await store.download(key, { fileName: o.fileName, contentType: o.contentType }).catch((err: unknown) => {
    throw err instanceof ArtifactNotFoundError ? notFound(o.what) : err;
  });
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
  const stream = await store.get(key).catch((err: unknown) => {
    throw err instanceof ArtifactNotFoundError ? notFound(what) : err;
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stored object's text, or `notFound(what)`. */
export async function readArtifactText(store: ArtifactStore, key: string, what: string): Promise<string> {
  return (await readArtifact(store, key, what)).toString('utf8');
}
