// Child process of run.mjs's memory case: runs the whole pipeline (openImage + predictMask with
// createPredictor) over one slide and prints one JSON line with its own peak RSS, so that the
// figure is the pipeline's alone (not the harness's, which wrote the slide). The model is a 1×1
// convolution: this measures memory, not model time.
//
// Usage: node bench/inference/rss-child.mjs '{"slide":PATH,"config":PipelineConfig,"order":"column","threads":N,"parallelRuns":N}'
import { readFileSync } from 'node:fs';
import { createPredictor, openImage, planInference, predictMask } from '@holdout/inference';
import { identityModel } from '@holdout/inference/testing';

const { slide, config, order, threads, parallelRuns } = JSON.parse(process.argv[2]);
const inner = await createPredictor({
  models: [identityModel({ channels: config.input.channels, outputChannels: config.output.channels })],
  outputKind: config.output.kind,
  transferInput: true,
  ...(threads ? { threads } : {}),
  ...(parallelRuns ? { parallelRuns } : {}),
});
let patches = 0;
const predictor = {
  get outputChannels() {
    return inner.outputChannels;
  },
  get parallelRuns() {
    return inner.parallelRuns;
  },
  run(input, batch, channels, size) {
    patches += batch;
    return inner.run(input, batch, channels, size);
  },
  close: () => inner.close(),
};
const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
const started = performance.now();
const source = await openImage(slide, 'slide');
let rleChars = 0;
let windows = 0;
try {
  windows = planInference(source.width, source.height, config, order).windows.length;
  let lastReport = 0;
  const rle = await predictMask({
    source,
    predictor,
    config,
    order,
    onProgress: (p) => {
      if (p.done - lastReport < p.total / 10 && p.done < p.total) return;
      lastReport = p.done;
      process.stderr.write(`  memory case: ${p.done}/${p.total} windows × passes, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB\n`);
    },
  });
  rleChars = rle.length;
} finally {
  await source.close();
  await inner.close();
}
const seconds = (performance.now() - started) / 1000;
const windowsRun = patches / config.tta.length;
process.stdout.write(
  `${JSON.stringify({
    width: source.width,
    height: source.height,
    seconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    vmHwmMB: vmHwmKB() / 1024,
    rssBeforeMB,
    windows,
    windowsRun,
    windowsSkipped: windows - windowsRun,
    rleChars,
  })}\n`,
);

/** The kernel's peak resident set of this process (/proc/self/status VmHWM), in kB; NaN elsewhere. */
function vmHwmKB() {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}
