// An S3-protocol server for the artifact-store contract suite (artifact-store.int-spec.ts), in a
// process of its own: `node --openssl-legacy-provider artifact-store.s3-test-server.js <dir> <bucket>`.
// It serves @20minutes/s3rver (a maintained fork of s3rver) on 127.0.0.1 only, at a free port it
// prints as `{"port":N}`, and stops when its parent closes stdin or sends SIGTERM.
//
// Why its own process, with the legacy OpenSSL provider: s3rver encrypts ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 (Node ≥ 17) keeps in its legacy provider, so
// listings past one page fail without it; the flag cannot be turned on inside a running process.
// Why `allowMismatchedSignatures`: its SigV4 check computes the canonical URI of bucket-level
// requests (ListObjectsV2, DeleteObjects) as `/bucket` where the AWS SDK signs `/bucket/`, so
// every listing would be refused. Signing is the SDK's own, tested by AWS; this suite tests what
// the store does with the protocol.
import { createRequire } from 'node:module';

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  allowMismatchedSignatures: boolean;
  configureBuckets: { name: string }[];
}
interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) {
  console.error('usage: artifact-store.s3-test-server.js <data directory> <bucket>');
  process.exit(2);
}
const S3rverClass = createRequire(import.meta.url)('@20minutes/s3rver') as new (o: S3rverOptions) => S3rver;
const server = new S3rverClass({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures: true, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

const stop = () => void server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
// The parent went away (even without a signal): do not linger on the port.
process.stdin.on('end', stop).on('close', stop).resume();
