import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

// Test support (`@holdout/db/testing`): the S3-protocol server of the artifact-store suites.

/** The S3-protocol server (artifact-store.s3-test-server.ts), in its own process on 127.0.0.1, with `bucket`; its data in a temporary directory. */
export async function startS3TestServer(bucket: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'holdout-s3rver-'));
  const script = fileURLToPath(new URL('./artifact-store.s3-test-server.js', import.meta.url));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, dir, bucket], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the S3 test server did not start within 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve((JSON.parse(out.split('\n')[0]!) as { port: number }).port);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the S3 test server exited (code ${code}) before it listened`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A client of the test server (its fixed credentials; no CRC32 trailers, which it does not take). */
export function s3TestClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
