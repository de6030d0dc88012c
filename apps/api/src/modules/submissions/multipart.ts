import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import busboy from 'busboy';
import { DomainError, badRequest } from '../../common/domain-error.js';
import { TooLargeError, type ArtifactStore, type StoredArtifact } from '@holdout/db';

export interface ParsedUpload {
  fields: Record<string, string>;
  file: (StoredArtifact & { fileName: string }) | null;
  /** Files of the `attachments` field (a kernel's dataset), in the order they came. */
  attachments: (StoredArtifact & { fileName: string })[];
}

/** At most this many `attachments` files per upload; more is a 400. */
export const MAX_UPLOAD_ATTACHMENTS = 20;

/** Text fields of an upload (description, cvScore, courseId, …): how many, and how long each. */
const MAX_FIELDS = 20;
const FIELD_LIMIT_BYTES = 16 * 1024;

const SAFE_NAME = /[^A-Za-z0-9._-]+/g;

/**
 * Streams a multipart body: text fields are collected, the one file (field `fileField`) goes straight
 * into the artifact store under `keyPrefix`, hashed on the way; nothing is buffered in memory.
 */
export function parseUpload(req: Request, store: ArtifactStore, keyPrefix: string, limitBytes: number, fileField = 'file'): Promise<ParsedUpload> {
  const declared = Number(req.header('content-length') ?? 0);
  if (declared > limitBytes + 1024 * 1024) {
    return Promise.reject(new DomainError('payload_too_large', `the upload is larger than the limit of ${Math.round(limitBytes / 1024 / 1024)} MB`));
  }
  return new Promise((resolvePromise, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1 + MAX_UPLOAD_ATTACHMENTS, fields: MAX_FIELDS, fieldSize: FIELD_LIMIT_BYTES, parts: 30 + MAX_UPLOAD_ATTACHMENTS } });
    } catch {
      reject(badRequest('expected a multipart/form-data body with a `file` field'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: ParsedUpload['file'] = null;
    let pending: Promise<void> | null = null;
    const attachments: ParsedUpload['attachments'] = [];
    const attachmentWrites: Promise<void>[] = [];
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume(); // drain so the connection can answer
      // Unplugged from the request, busboy would never see the body end (nor close, where what
      // was stored is removed): stop it, which also ends a file still being written. Not from
      // inside its own event handler, which may be running in the middle of its parser.
      setImmediate(() => bb.destroy());
      reject(err);
    };
    bb.on('field', (name, value, info) => {
      // busboy cuts an over-long field silently; a cut description or score is refused instead.
      if (info.valueTruncated || info.nameTruncated) fail(new DomainError('payload_too_large', `the field "${name.slice(0, 100)}" is longer than ${FIELD_LIMIT_BYTES / 1024} KB`));
      else fields[name] = value;
    });
    bb.on('fieldsLimit', () => fail(badRequest(`more than ${MAX_FIELDS} form fields`)));
    bb.on('partsLimit', () => fail(badRequest('too many parts in the multipart body')));
    bb.on('filesLimit', () => fail(badRequest(`attach at most ${MAX_UPLOAD_ATTACHMENTS} files besides the main file`)));
    bb.on('file', (name, stream, info) => {
      // Stopping busboy errors the file in flight; the store's pipeline hears that while it is
      // writing, but an ignored or abandoned stream has no one else listening (an uncaught error).
      stream.on('error', () => undefined);
      // After a refusal nothing more is stored (the rest of a chunk already read still comes here).
      if (failed) {
        stream.resume();
        return;
      }
      if (name === 'attachments') {
        if (attachmentWrites.length >= MAX_UPLOAD_ATTACHMENTS) {
          stream.resume();
          fail(badRequest(`attach at most ${MAX_UPLOAD_ATTACHMENTS} files`));
          return;
        }
        const fileName = (info.filename || 'attachment').replace(SAFE_NAME, '_').slice(0, 200);
        attachmentWrites.push(
          store
            .put(`${keyPrefix}/${randomUUID()}-${fileName}`, stream, limitBytes)
            .then((stored) => void attachments.push({ ...stored, fileName }))
            .catch((err: unknown) => {
              stream.resume();
              fail(err instanceof TooLargeError ? new DomainError('payload_too_large', `${fileName} is larger than the limit of ${Math.round(limitBytes / 1024 / 1024)} MB`) : err);
            }),
        );
        return;
      }
      if (name !== fileField || file || pending) {
        stream.resume();
        return;
      }
      const fileName = (info.filename || 'submission.csv').replace(SAFE_NAME, '_').slice(0, 200);
      pending = store
        .put(`${keyPrefix}/${randomUUID()}-${fileName}`, stream, limitBytes)
        .then((stored) => {
          file = { ...stored, fileName };
        })
        .catch((err: unknown) => {
          stream.resume();
          fail(err instanceof TooLargeError ? new DomainError('payload_too_large', `the file is larger than the limit of ${Math.round(limitBytes / 1024 / 1024)} MB`) : err);
        });
    });
    bb.on('error', (err) => fail(badRequest(`malformed multipart body: ${(err as Error).message}`)));
    bb.on('close', () => {
      void Promise.all([pending ?? Promise.resolve(), ...attachmentWrites]).then(() => {
        if (!failed) resolvePromise({ fields, file, attachments });
        // A failed upload leaves nothing behind in the store.
        else for (const a of [...attachments, ...(file ? [file] : [])]) void store.delete(a.key).catch(() => undefined);
      });
    });
    req.pipe(bb);
  });
}
