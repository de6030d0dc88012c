import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, Module, Param, Res, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createArtifactStore, JsonLogger, LocalArtifactStore, type ArtifactStore } from '@holdout/db';
import { startS3TestServer } from '@holdout/db/testing';
import type { Response } from 'express';
import request from 'supertest';
import { ErrorFilter } from './error.filter.js';
import { sendArtifact } from './send-artifact.js';

const BUCKET = 'holdout-downloads';

// How the API hands a stored object to a client (kernel outputs, uploaded files): the local
// store's file streamed as an attachment; an S3 store's object by a redirect to a presigned URL,
// so the API never proxies the bytes. A missing object is the API's usual 404.
for (const kind of ['local', 's3'] as const) {
  describe(`sendArtifact with the ${kind} store`, () => {
    let store: ArtifactStore;
    let app: INestApplication;
    let cleanup: () => Promise<void>;

    before(async () => {
      if (kind === 'local') {
        const root = await mkdtemp(join(tmpdir(), 'holdout-send-'));
        store = new LocalArtifactStore(root);
        cleanup = () => rm(root, { recursive: true, force: true });
      } else {
        const server = await startS3TestServer(BUCKET);
        // As an operator configures it (HOLDOUT_ARTIFACT_STORE=s3 …), credentials from the SDK's chain.
        process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
        process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
        store = await createArtifactStore({ artifactDir: '', artifactStore: { kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true } });
        cleanup = () => server.stop();
      }
      await store.put('runs/r1/working/out.bin', Buffer.from('bytes a kernel wrote\n'));
      @Controller()
      class Downloads {
        @Get('download/:name')
        async download(@Param('name') name: string, @Res() res: Response): Promise<void> {
          await sendArtifact(res, store, `runs/r1/working/${name}`, { fileName: name, contentType: 'application/octet-stream', what: 'output' });
        }
      }
      @Module({ controllers: [Downloads] })
      class DownloadsModule {}
      app = await NestFactory.create(DownloadsModule, { logger: false });
      app.useGlobalFilters(new ErrorFilter(new JsonLogger('silent', 'api')));
      await app.init();
    });
    after(async () => {
      await app?.close();
      await cleanup?.();
    });

    it(kind === 'local' ? 'streams the file as an attachment' : 'redirects to a presigned URL that serves the bytes', async () => {
      const res = await request(app.getHttpServer()).get('/download/out.bin');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      if (kind === 'local') {
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-disposition'], 'attachment; filename=out.bin');
        assert.equal(res.headers['content-type'], 'application/octet-stream');
        assert.equal(Buffer.from(res.body as Buffer).toString(), 'bytes a kernel wrote\n');
        return;
      }
      assert.equal(res.status, 302);
      const url = new URL(res.headers.location!);
      assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256', 'a signed URL');
      const fetched = await fetch(url);
      assert.equal(fetched.status, 200);
      assert.equal(await fetched.text(), 'bytes a kernel wrote\n');
    });

    it('answers a missing object with 404 not_found', async () => {
      const res = await request(app.getHttpServer()).get('/download/missing.bin');
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'not_found');
      assert.equal(res.body.error.message, 'output not found');
    });
  });
}
