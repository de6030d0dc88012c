import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ScoringError, type ScoringErrorCode } from './errors.js';
import { MAX_FIELD_BYTES } from './csv.js';
import { scoreSubmission, type CsvSource, type MetricName } from './score.js';

const DICE_SOLUTION = 'id,height,width,encoding,Usage\na,2,2,1 2,Public\nb,3,5,2 2 7 3 14 2,Private\nc,2,2,,Public\n';
const INSTANCE_SOLUTION = 'id,height,width,annotation,Usage\nx,4,4,1 2,Public\nx,4,4,9 3,Public\ny,4,4,,Private\n';

const text = (s: string | Uint8Array): CsvSource => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

async function score(metric: MetricName, solution: string | Uint8Array, submission: string | Uint8Array) {
  return scoreSubmission({ metric, solution: text(solution), submission: text(submission) });
}

async function rejection(metric: MetricName, solution: string | Uint8Array, submission: string | Uint8Array): Promise<ScoringError> {
  try {
    await score(metric, solution, submission);
  } catch (err) {
    assert.ok(err instanceof ScoringError, `expected a ScoringError, got ${String(err)}`);
    return err;
  }
  assert.fail('the input was accepted');
}

describe('scoreSubmission: results', () => {
  it('scores Dice per image, per split and overall', async () => {
    // a: truth 1-2, pred 1 -> 2/3; b: 3x5 hand case -> 10/13; c: both empty -> 1
    const r = await score('dice', DICE_SOLUTION, 'id,predicted\na,1 1\nb,3 2 7 3 15 1\nc,\n');
    assert.equal(r.metric, 'dice');
    assert.deepEqual({ ...r.perImage }, { a: 2 / 3, b: 10 / 13, c: 1 });
    assert.equal(r.score, (2 / 3 + 10 / 13 + 1) / 3);
    assert.equal(r.public!.score, (2 / 3 + 1) / 2);
    assert.equal(r.public!.images, 2);
    assert.equal(r.private!.score, 10 / 13);
    assert.deepEqual(r.private!.interval, [10 / 13, 10 / 13]);
    const [lo, hi] = r.public!.interval;
    assert.ok(lo >= 2 / 3 && hi <= 1 && lo < hi);
  });

  it('takes the sizes of a solution without height and width from the caller (HuBMAP train.csv)', async () => {
    const sizes = new Map([
      ['a', { height: 2, width: 2 }],
      ['b', { height: 3, width: 5 }],
      ['c', { height: 2, width: 2 }],
    ]);
    const submission = 'id,predicted\na,1 1\nb,3 2 7 3 15 1\nc,\n';
    const full = await score('dice', DICE_SOLUTION, submission);
    const bare = 'id,encoding,Usage\na,1 2,Public\nb,2 2 7 3 14 2,Private\nc,,Public\n';
    const given = await scoreSubmission({ metric: 'dice', solution: text(bare), submission: text(submission), sizes });
    assert.deepEqual(given, full);
    // A size still bounds the runs; an id with no size is named; without sizes the columns are required.
    const small = new Map([...sizes, ['b', { height: 2, width: 5 }]]);
    await assert.rejects(scoreSubmission({ metric: 'dice', solution: text(bare), submission: text(submission), sizes: small }), (e: ScoringError) => e.code === 'run_out_of_image' && e.row === 3 && /2x5 image/.test(e.message));
    const missing = new Map([...sizes].filter(([id]) => id !== 'c'));
    await assert.rejects(scoreSubmission({ metric: 'dice', solution: text(bare), submission: text(submission), sizes: missing }), (e: ScoringError) => e.code === 'invalid_dimensions' && e.row === 4 && /no image has this id/.test(e.message));
    assert.equal((await rejection('dice', bare, submission)).code, 'bad_header');
  });

  it('treats a solution without Usage as all public', async () => {
    const r = await score('dice', 'id,height,width,encoding\na,1,4,1 2\n', 'id,predicted\na,1 2\n');
    assert.equal(r.public!.score, 1);
    assert.equal(r.private, null);
  });

  it('scores instance mAP with instances spread over non-adjacent rows', async () => {
    // x: two objects, one predicted exactly, one with IoU 2/3 (hits at 0.50…0.65), plus an image y
    // with neither truth nor predictions (1).
    const r = await score('instance-map', INSTANCE_SOLUTION, 'id,predicted\nx,9 2\ny,\nx,1 2\n');
    // thresholds 0.50-0.65: TP 2 -> 1; 0.70-0.95: TP 1, FP 1, FN 1 -> 1/3
    assert.ok(Math.abs(r.perImage.x! - 0.6) < 1e-15, String(r.perImage.x));
    assert.equal(r.perImage.y, 1);
    assert.equal(r.private!.score, 1);
  });

  it('takes an image\'s size and Usage written differently on its later rows as the same', async () => {
    const solution = 'id,height,width,annotation,Usage\nx,4,4,1 2,Public\nx, 4,4 ,9 3,public\nx,4,4,16 1,Public\n';
    const r = await score('instance-map', solution, 'id,predicted\nx,1 2\nx,9 3\nx,16 1\n');
    assert.equal(r.perImage.x, 1);
    assert.equal(r.public?.images, 1);
  });

  it('scores an image with truth but only an empty prediction row as 0', async () => {
    const r = await score('instance-map', INSTANCE_SOLUTION, 'id,predicted\nx,\ny,\n');
    assert.equal(r.perImage.x, 0);
  });

  it('reads columns in any order, quoting, CRLF, a BOM, blank lines and no final newline', async () => {
    const submission = '\uFEFF"predicted","id"\r\n\r\n"1 1",a\r\n"3 2 7 3 15 1","b"\r\n,"c"';
    const r = await score('dice', DICE_SOLUTION, submission);
    assert.deepEqual({ ...r.perImage }, { a: 2 / 3, b: 10 / 13, c: 1 });
  });

  it('reads ids with commas, escaped quotes, line breaks and non-ASCII text', async () => {
    const solution = 'id,height,width,encoding\n"a,1",1,2,1 1\n"say ""hi""",1,2,2 1\n"two\nlines",1,1,1 1\nnaïve-画像,1,1,\n';
    const submission = 'id,predicted\n"a,1",1 1\n"say ""hi""",1 1\n"two\nlines",1 1\nnaïve-画像,\n';
    const r = await score('dice', solution, submission);
    assert.deepEqual({ ...r.perImage }, { 'a,1': 1, 'say "hi"': 0, 'two\nlines': 1, 'naïve-画像': 1 });
  });

  it('keeps ids that are special words in JavaScript as plain keys', async () => {
    const r = await score('dice', 'id,height,width,encoding\n__proto__,1,1,1 1\nconstructor,1,1,\n', 'id,predicted\n__proto__,1 1\nconstructor,\n');
    assert.equal(JSON.stringify(r.perImage), '{"__proto__":1,"constructor":1}');
  });

  it('accepts extra spaces between RLE tokens and ignores extra solution columns', async () => {
    const r = await score('dice', 'notes,id,height,width,encoding\nhello,a,1,9, 1 2   5 1 \n', 'id,predicted\na,1 2 5 1\n');
    assert.equal(r.perImage.a, 1);
  });

  it('reads from files, Node streams and async iterables alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'holdout-metrics-'));
    try {
      await writeFile(join(dir, 'sol.csv'), DICE_SOLUTION);
      const sub = 'id,predicted\na,1 1\nb,3 2 7 3 15 1\nc,\n';
      await writeFile(join(dir, 'sub.csv'), sub);
      const fromFiles = await scoreSubmission({ metric: 'dice', solution: join(dir, 'sol.csv'), submission: join(dir, 'sub.csv') });
      const fromStream = await scoreSubmission({
        metric: 'dice',
        solution: Readable.from([Buffer.from(DICE_SOLUTION)]),
        submission: Readable.from([Buffer.from(sub.slice(0, 7)), Buffer.from(sub.slice(7))]),
      });
      assert.deepEqual(fromStream, fromFiles);
      assert.equal(fromFiles.perImage.b, 10 / 13);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('scores thousands of instances per image, out of order (store and buffer growth)', async () => {
    // 1 x 100000 image: 3000 truth objects of 5 runs each (150 000 runs over the file), predicted
    // exactly except one object, rows shuffled.
    const w = 100_000;
    const objects = Array.from({ length: 3000 }, (_, k) => Array.from({ length: 5 }, (_, j) => `${1 + k * 30 + j * 6} 3`).join(' '));
    const solution = ['id,height,width,annotation', ...objects.map((rle) => `im,1,${w},${rle}`)].join('\n');
    const predicted = objects.slice(1).map((rle) => `im,${rle}`);
    for (let i = predicted.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [predicted[i], predicted[j]] = [predicted[j]!, predicted[i]!];
    }
    // A stream has no known size, so the run arena starts small and must grow.
    const bytes = Buffer.from(['id,predicted', ...predicted].join('\n'));
    const r = await scoreSubmission({
      metric: 'instance-map',
      solution: Buffer.from(solution),
      submission: (async function* () {
        for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096);
      })(),
    });
    assert.ok(Math.abs(r.perImage.im! - 2999 / 3000) < 1e-12, String(r.perImage.im));
  });

  it('gives the same results when several scorings run concurrently (shared scratch buffers)', async () => {
    const instance = () => score('instance-map', INSTANCE_SOLUTION, 'id,predicted\nx,9 2\ny,\nx,1 2\n');
    const dice = () => score('dice', DICE_SOLUTION, 'id,predicted\na,1 1\nb,3 2 7 3 15 1\nc,\n');
    const slow = async () =>
      scoreSubmission({
        metric: 'instance-map',
        solution: Buffer.from(INSTANCE_SOLUTION),
        submission: (async function* () {
          for (const part of ['id,pre', 'dicted\nx,1', ' 2\ny,\n']) {
            await new Promise((r) => setImmediate(r));
            yield Buffer.from(part);
          }
        })(),
      });
    const sequential = [await instance(), await dice(), await slow()];
    const concurrent = await Promise.all([instance(), dice(), slow()]);
    assert.deepEqual(concurrent, sequential);
  });

  it('parses a multi-megabyte RLE field split across many chunks', async () => {
    const width = 4_000_000;
    const starts: number[] = [];
    for (let s = 1; s < width; s += 7) starts.push(s);
    const rle = starts.map((s) => `${s} 3`).join(' ');
    assert.ok(rle.length > 4_000_000);
    const solution = `id,height,width,encoding\nbig,1,${width},${rle}\n`;
    const submission = Buffer.from(`id,predicted\nbig,${rle}\n`);
    const r = await scoreSubmission({
      metric: 'dice',
      solution: Buffer.from(solution),
      submission: (async function* () {
        for (let i = 0; i < submission.length; i += 65_537) yield submission.subarray(i, i + 65_537);
      })(),
    });
    assert.equal(r.perImage.big, 1);
  });
});

interface RejectionCase {
  name: string;
  metric?: MetricName;
  solution?: string | Uint8Array;
  submission: string | Uint8Array;
  code: ScoringErrorCode;
  row: number | null;
  /** Texts the message must contain (besides "row N" when row is set). */
  mentions: string[];
}

const dice = (rows: string) => `id,predicted\n${rows}`;

const REJECTIONS: RejectionCase[] = [
  { name: 'unsorted runs', submission: dice('a,3 1 1 1\nb,\nc,\n'), code: 'unsorted_runs', row: 2, mentions: ['"a"', 'not sorted', 'start 1 after 3'] },
  { name: 'overlapping runs', submission: dice('a,\nb,1 5 3 2\nc,\n'), code: 'overlapping_runs', row: 3, mentions: ['"b"', 'overlaps'] },
  { name: 'zero start', submission: dice('a,0 2\nb,\nc,\n'), code: 'non_positive_run', row: 2, mentions: ['"a"', 'start of 0'] },
  { name: 'zero length', submission: dice('a,1 0\nb,\nc,\n'), code: 'non_positive_run', row: 2, mentions: ['"a"', 'length of 0'] },
  { name: 'negative token', submission: dice('a,\nb,\nc,1 -2\n'), code: 'non_positive_run', row: 4, mentions: ['"c"', 'token 2 is negative'] },
  { name: 'run past the last pixel', submission: dice('a,4 2\nb,\nc,\n'), code: 'run_out_of_image', row: 2, mentions: ['"a"', 'ends at pixel 5', 'last pixel 4', '2x2'] },
  { name: 'run starting past the last pixel', submission: dice('a,\nb,16 1\nc,\n'), code: 'run_out_of_image', row: 3, mentions: ['"b"', 'last pixel 15'] },
  { name: 'absurdly large token', submission: dice('a,1 1234567890123456789\nb,\nc,\n'), code: 'run_out_of_image', row: 2, mentions: ['"a"', 'token 2'] },
  { name: 'unsorted runs after valid ones', submission: dice('a,1 1  3 1 2 1\nb,\nc,\n'), code: 'unsorted_runs', row: 2, mentions: ['"a"', 'start 2 after 3'] },
  { name: 'a letter after valid runs', submission: dice('a, 1 1 3 1x\nb,\nc,\n'), code: 'invalid_token', row: 2, mentions: ['"a"', 'token 4', 'after "1"'] },
  { name: 'decimal token', submission: dice('a,1.5 2\nb,\nc,\n'), code: 'invalid_token', row: 2, mentions: ['"a"', 'token 1 is not an integer', '"."'] },
  { name: 'letters in a token', submission: dice('a,1 2x\nb,\nc,\n'), code: 'invalid_token', row: 2, mentions: ['"a"', 'token 2'] },
  { name: 'comma-separated tokens in a quoted field', submission: dice('a,"1,2"\nb,\nc,\n'), code: 'invalid_token', row: 2, mentions: ['"a"'] },
  { name: 'tab-separated tokens', submission: dice('a,1\t2\nb,\nc,\n'), code: 'invalid_token', row: 2, mentions: ['"a"', '0x09'] },
  { name: 'odd token count', submission: dice('a,\nb,1 2 3\nc,\n'), code: 'odd_token_count', row: 3, mentions: ['"b"', 'odd number of tokens (3)'] },
  { name: 'unknown image id', submission: dice('a,\nb,\nzzz,\nc,\n'), code: 'unknown_image_id', row: 4, mentions: ['"zzz"', 'unknown image id'] },
  { name: 'empty image id', submission: dice('a,\n,1 1\nb,\nc,\n'), code: 'unknown_image_id', row: 3, mentions: ['id is empty'] },
  { name: 'missing image id', submission: dice('a,\nc,\n'), code: 'missing_image_id', row: null, mentions: ['"b"', 'no row for 1 image'] },
  { name: 'duplicate image id', submission: dice('a,\nb,\na,1 1\nc,\n'), code: 'duplicate_image_id', row: 4, mentions: ['"a"', 'already has row 2'] },
  { name: 'wrong header name', submission: 'id,prediction\na,\nb,\nc,\n', code: 'bad_header', row: 1, mentions: ['"prediction"', 'id,predicted'] },
  { name: 'missing column', submission: 'id\na\nb\nc\n', code: 'bad_header', row: 1, mentions: ['missing column predicted'] },
  { name: 'duplicated column', submission: 'id,predicted,id\na,,a\n', code: 'bad_header', row: 1, mentions: ['appears twice'] },
  { name: 'no header (data in the first row)', submission: 'a,1 1\nb,\nc,\n', code: 'bad_header', row: 1, mentions: ['"a"'] },
  { name: 'empty file', submission: '', code: 'bad_header', row: null, mentions: ['empty'] },
  { name: 'UTF-16 file', submission: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,predicted\n', 'utf16le')]), code: 'not_utf8', row: 1, mentions: ['UTF-16'] },
  { name: 'Latin-1 id (not UTF-8)', submission: Buffer.concat([Buffer.from('id,predicted\na,\nb,\nc,\n'), Buffer.from([0x63, 0xe9, 0x2c, 0x0a])]), code: 'not_utf8', row: 5, mentions: ['UTF-8'] },
  { name: 'binary file (gzip)', submission: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x0a]), code: 'binary_file', row: 1, mentions: ['binary'] },
  { name: 'NUL bytes in an RLE', submission: Buffer.from('id,predicted\na,1\u00002\nb,\nc,\n'), code: 'binary_file', row: 2, mentions: ['"a"', 'NUL'] },
  { name: 'unterminated quote', submission: dice('a,\nb,\nc,"1 1\n'), code: 'malformed_csv', row: 4, mentions: ['not closed'] },
  { name: 'text after a closing quote', submission: dice('a,"1 1"x\nb,\nc,\n'), code: 'malformed_csv', row: 2, mentions: ['after its closing quote'] },
  { name: 'quote inside an unquoted field', submission: dice('a,1 "1"\nb,\nc,\n'), code: 'malformed_csv', row: 2, mentions: ['quote'] },
  { name: 'too many fields', submission: dice('a,,\nb,\nc,\n'), code: 'malformed_csv', row: 2, mentions: ['more than the header'] },
  { name: 'too few fields', submission: dice('a\nb,\nc,\n'), code: 'malformed_csv', row: 2, mentions: ['has 1 field, the header has 2'] },
  { name: 'lone carriage return', submission: 'id,predicted\ra,\n', code: 'malformed_csv', row: 1, mentions: ['carriage return'] },
  {
    name: 'overlapping predicted instances',
    metric: 'instance-map',
    solution: INSTANCE_SOLUTION,
    submission: 'id,predicted\nx,1 4\ny,\nx,9 2\nx,3 2\n',
    code: 'overlapping_instances',
    row: 5,
    mentions: ['rows 2 and 5', '"x"', 'pixel 3 (row 0, col 2)'],
  },
  { name: 'unknown image id (instance)', metric: 'instance-map', solution: INSTANCE_SOLUTION, submission: 'id,predicted\nx,\nq,1 1\ny,\n', code: 'unknown_image_id', row: 3, mentions: ['"q"'] },
  { name: 'missing image id (instance)', metric: 'instance-map', solution: INSTANCE_SOLUTION, submission: 'id,predicted\nx,1 1\n', code: 'missing_image_id', row: null, mentions: ['"y"', 'empty predicted'] },
  { name: 'run past the last pixel (instance)', metric: 'instance-map', solution: INSTANCE_SOLUTION, submission: 'id,predicted\ny,16 2\nx,\n', code: 'run_out_of_image', row: 2, mentions: ['"y"', '4x4'] },
  // The solution is checked with the same care (errors name the solution file).
  { name: 'solution: missing encoding column', solution: 'id,height,width\na,1,1\n', submission: dice('a,\n'), code: 'bad_header', row: 1, mentions: ['solution', 'encoding'] },
  { name: 'solution: bad height', solution: 'id,height,width,encoding\na,0,3,\n', submission: dice('a,\n'), code: 'invalid_dimensions', row: 2, mentions: ['solution', '"a"', 'height "0"'] },
  {
    name: 'solution: an instance image past 2^32 - 1 pixels',
    metric: 'instance-map',
    solution: 'id,height,width,annotation\nx,65536,65536,1 1\n',
    submission: 'id,predicted\nx,\n',
    code: 'invalid_dimensions',
    row: 2,
    mentions: ['"x"', '65536x65536', '4294967295-pixel limit for instance-map images'],
  },
  {
    name: 'a run far past a large instance image (no 32-bit wrap)',
    metric: 'instance-map',
    solution: 'id,height,width,annotation\nx,60000,70000,1 1\n',
    submission: 'id,predicted\nx,4294967297 5\n',
    code: 'run_out_of_image',
    row: 2,
    mentions: ['"x"', 'run 4294967297 5', 'ends at pixel 4294967301'],
  },
  { name: 'solution: bad width', solution: 'id,height,width,encoding\na,2,x,\n', submission: dice('a,\n'), code: 'invalid_dimensions', row: 2, mentions: ['width "x"'] },
  { name: 'solution: bad Usage', solution: 'id,height,width,encoding,Usage\na,1,1,,Hidden\n', submission: dice('a,\n'), code: 'invalid_usage', row: 2, mentions: ['"a"', 'Public or Private'] },
  { name: 'solution: duplicate id (dice)', solution: 'id,height,width,encoding\na,1,1,\na,1,1,\n', submission: dice('a,\n'), code: 'duplicate_image_id', row: 3, mentions: ['solution', '"a"'] },
  { name: 'solution: run past the image', solution: 'id,height,width,encoding\na,1,2,2 2\n', submission: dice('a,\n'), code: 'run_out_of_image', row: 2, mentions: ['solution', '"a"'] },
  { name: 'solution: no images', solution: 'id,height,width,encoding\n', submission: dice(''), code: 'empty_solution', row: null, mentions: ['no images'] },
  {
    name: 'solution: Usage differs between rows of one image (instance)',
    metric: 'instance-map',
    solution: 'id,height,width,annotation,Usage\nx,4,4,1 1,Public\nx,4,4,3 1,Private\n',
    submission: 'id,predicted\nx,\n',
    code: 'invalid_usage',
    row: 3,
    mentions: ['"x"', 'Usage differs from row 2'],
  },
  // Rows that repeat the previous row's id, size and Usage byte for byte take a shorter path; their runs are still checked.
  {
    name: 'solution: a repeated row with a run past the image (instance)',
    metric: 'instance-map',
    solution: 'id,height,width,annotation,Usage\nx,4,4,1 1,Public\nx,4,4,16 2,Public\n',
    submission: 'id,predicted\nx,\n',
    code: 'run_out_of_image',
    row: 3,
    mentions: ['solution', '"x"', 'last pixel 16'],
  },
  {
    name: 'solution: a repeated row with unsorted runs (instance)',
    metric: 'instance-map',
    solution: 'id,height,width,annotation,Usage\nx,4,4,1 1,Public\nx,4,4,5 1 2 1,Public\n',
    submission: 'id,predicted\nx,\n',
    code: 'unsorted_runs',
    row: 3,
    mentions: ['solution', '"x"', 'start 2 after 5'],
  },
  {
    name: 'solution: image sizes differ between rows (instance)',
    metric: 'instance-map',
    solution: 'id,height,width,annotation\nx,4,4,1 1\nx,4,5,3 1\n',
    submission: 'id,predicted\nx,\n',
    code: 'invalid_dimensions',
    row: 3,
    mentions: ['"x"', 'differs'],
  },
];

describe('scoreSubmission: every invalid input is rejected with its row, image and reason', () => {
  for (const c of REJECTIONS) {
    it(c.name, async () => {
      const metric = c.metric ?? 'dice';
      const err = await rejection(metric, c.solution ?? DICE_SOLUTION, c.submission);
      assert.equal(err.code, c.code, err.message);
      assert.equal(err.row, c.row, err.message);
      if (c.row !== null) assert.match(err.message, new RegExp(`\\brows? (\\d+ and )?${c.row}\\b`));
      for (const m of c.mentions) assert.ok(err.message.includes(m), `"${err.message}" should mention ${m}`);
      assert.deepEqual(Object.keys(err.toJSON()), ['code', 'message', 'row']);
    });
  }

  it('gives the same error whatever the chunking (a file cut at every byte)', async () => {
    for (const c of REJECTIONS) {
      const metric = c.metric ?? 'dice';
      const solution = Buffer.from(c.solution ?? DICE_SOLUTION);
      const submission = typeof c.submission === 'string' ? Buffer.from(c.submission) : c.submission;
      const whole = (await rejection(metric, solution, submission)).toJSON();
      for (let cut = 1; cut < submission.length; cut++) {
        const split = (async function* () {
          yield submission.subarray(0, cut);
          yield submission.subarray(cut);
        })();
        const err = await scoreSubmission({ metric, solution, submission: split }).then(
          () => assert.fail(`${c.name}: accepted when cut at byte ${cut}`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ScoringError, `${c.name}: ${String(err)}`);
        assert.deepEqual(err.toJSON(), whole, `${c.name}, cut at byte ${cut}`);
      }
    }
  });

  it('rejects a field over the 64 MiB limit', async () => {
    const spaces = Buffer.alloc(1 << 20, 0x20);
    const err = await scoreSubmission({
      metric: 'dice',
      solution: Buffer.from(DICE_SOLUTION),
      submission: (async function* () {
        yield Buffer.from('id,predicted\na,1 1');
        for (let i = 0; i <= MAX_FIELD_BYTES / spaces.length; i++) yield spaces;
        yield Buffer.from('\n');
      })(),
    }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ScoringError);
    assert.equal(err.code, 'field_too_large');
    assert.equal(err.row, 2);
  });

  it('reports an unreadable file without a row', async () => {
    await assert.rejects(
      scoreSubmission({ metric: 'dice', solution: '/nonexistent/solution.csv', submission: Buffer.from('') }),
      (e: unknown) => e instanceof ScoringError && e.code === 'unreadable_file' && e.row === null && /ENOENT/.test(e.message),
    );
  });

  it("reports the solution's errors before the submission's, and leaves no file open", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'holdout-score-files-'));
    try {
      const good = join(dir, 'solution.csv');
      const bad = join(dir, 'bad-solution.csv');
      const submission = join(dir, 'submission.csv');
      await writeFile(good, DICE_SOLUTION);
      await writeFile(bad, 'id,height,width\na,2,2\n');
      await writeFile(submission, dice('a,\nb,\nc,\n'));
      const openFds = () => readdirSync('/proc/self/fd').length;
      const before = openFds();
      const rejected = (solution: string, sub: string, code: string, file: string) =>
        assert.rejects(scoreSubmission({ metric: 'dice', solution, submission: sub }), (e: unknown) => e instanceof ScoringError && e.code === code && e.message.startsWith(file));
      await rejected(bad, submission, 'bad_header', 'solution');
      await rejected(bad, join(dir, 'missing.csv'), 'bad_header', 'solution');
      await rejected(good, join(dir, 'missing.csv'), 'unreadable_file', 'cannot read the submission file');
      assert.equal((await scoreSubmission({ metric: 'dice', solution: good, submission })).perImage.a, 0);
      assert.equal(openFds(), before);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('rejects an unknown metric or order', async () => {
    await assert.rejects(score('pooled-dice' as MetricName, DICE_SOLUTION, ''), (e: unknown) => e instanceof ScoringError && e.code === 'invalid_options');
    await assert.rejects(
      scoreSubmission({ metric: 'dice', rleOrder: 'diagonal' as 'row', solution: Buffer.from(DICE_SOLUTION), submission: Buffer.from('') }),
      (e: unknown) => e instanceof ScoringError && e.code === 'invalid_options',
    );
  });
});
