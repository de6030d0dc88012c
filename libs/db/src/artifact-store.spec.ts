import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArtifactKeyError, artifactKeyProblem, checkArtifactPrefix, compareKeys, contentDisposition } from './artifact-store.js';
import { ConfigError, loadConfig } from './config/config.js';

describe('artifact keys', () => {
  it('accepts the keys the apps make, and odd but harmless names', () => {
    for (const key of [
      'submissions/6f1c/0b7e-sub.csv',
      'kernel-runs/6f1c/2-public/working/out/model.pt',
      'model-runs/6f1c/1/submission.csv',
      'bundles/uploads/0b7e-cells.zip',
      '.none',
      'a/.hidden',
      'a/b..c',
      'tmp',
      'a/tmp/b',
      'with space/ünïcode ✓',
      'k'.repeat(1024),
    ]) {
      assert.equal(artifactKeyProblem(key), null, key);
    }
  });

  it('refuses each unsafe or reserved key with the rule it breaks', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['/abs/x', /absolute/],
      ['..', /\.\. part/],
      ['a/../b', /\.\. part/],
      ['./a', /\. or \.\. part/],
      ['a//b', /empty part/],
      ['a/', /ends with \//],
      ['a\0b', /NUL/],
      ['a\tb', /control character/],
      ['a\u007fb', /control character/],
      ['a\\..\\b', /backslash/],
      ['tmp/x', /reserved/],
      ['a/b.holdout-meta', /reserved for checksum records/],
      ['é'.repeat(513), /longer than 1024 bytes/],
    ];
    for (const [key, rule] of cases) assert.match(artifactKeyProblem(key) ?? 'accepted', rule, JSON.stringify(key));
  });

  it('prefixes: empty or a key, a trailing / allowed', () => {
    assert.equal(checkArtifactPrefix(''), '');
    assert.equal(checkArtifactPrefix('kernel-runs/'), 'kernel-runs/');
    assert.equal(checkArtifactPrefix('kernel-runs/ab'), 'kernel-runs/ab');
    assert.throws(() => checkArtifactPrefix('../'), (e: unknown) => e instanceof ArtifactKeyError && /as a prefix, has a \. or \.\. part/.test(e.message));
    assert.throws(() => checkArtifactPrefix('a//'), ArtifactKeyError);
  });

  it('orders keys by UTF-8 bytes, as S3 lists them', () => {
    const keys = ['a/x', 'a-b', 'ä', 'z', 'a/', 'A'];
    assert.deepEqual([...keys].sort(compareKeys), ['A', 'a-b', 'a/', 'a/x', 'z', 'ä']);
  });

  it('offers a safe download file name', () => {
    assert.equal(contentDisposition('report 1.csv'), 'attachment; filename="report_1.csv"');
    assert.equal(contentDisposition('"; evil=1'), 'attachment; filename="_evil_1"');
    assert.equal(contentDisposition(''), 'attachment; filename="download"');
  });
});

describe('artifact store configuration', () => {
  const secret = { HOLDOUT_SESSION_SECRET: 'x'.repeat(32) };

  it('is the local directory by default', () => {
    assert.deepEqual(loadConfig(secret).artifactStore, { kind: 'local' });
    assert.deepEqual(loadConfig({ ...secret, HOLDOUT_ARTIFACT_STORE: 'local' }).artifactStore, { kind: 'local' });
  });

  it('takes s3 with a bucket, and refuses it without one, with the other problems', () => {
    assert.deepEqual(loadConfig({ ...secret, HOLDOUT_ARTIFACT_STORE: 's3', HOLDOUT_S3_BUCKET: 'holdout', HOLDOUT_S3_ENDPOINT: 'http://127.0.0.1:9000/', HOLDOUT_S3_FORCE_PATH_STYLE: '1' }).artifactStore, {
      kind: 's3',
      bucket: 'holdout',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
    assert.throws(
      () => loadConfig({ ...secret, HOLDOUT_ARTIFACT_STORE: 's3', PORT: 'eighty' }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => /^HOLDOUT_S3_BUCKET: required when HOLDOUT_ARTIFACT_STORE is s3/.test(p)) && e.problems.some((p) => p.startsWith('PORT:')),
    );
  });

  it('checks the S3 settings it will need', () => {
    assert.throws(
      () => loadConfig({ ...secret, HOLDOUT_ARTIFACT_STORE: 'nfs', HOLDOUT_S3_BUCKET: 'Not_A_Bucket', HOLDOUT_S3_ENDPOINT: 'minio:9000', HOLDOUT_S3_FORCE_PATH_STYLE: 'yes' }),
      (e: unknown) =>
        e instanceof ConfigError && ['HOLDOUT_ARTIFACT_STORE', 'HOLDOUT_S3_BUCKET', 'HOLDOUT_S3_ENDPOINT', 'HOLDOUT_S3_FORCE_PATH_STYLE'].every((k) => e.problems.some((p) => p.startsWith(`${k}:`))),
    );
    // Set while the store is local: checked, and otherwise unused.
    assert.deepEqual(loadConfig({ ...secret, HOLDOUT_S3_BUCKET: 'holdout-artifacts', HOLDOUT_S3_ENDPOINT: 'https://s3.example.edu:9000', HOLDOUT_S3_FORCE_PATH_STYLE: 'true' }).artifactStore, { kind: 'local' });
  });
});
