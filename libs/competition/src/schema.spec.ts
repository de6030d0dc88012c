import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCompetitionConfig, resolveTimeline } from './loader.js';
import { bundledYaml, issuesOf, toYaml } from './testing.js';

describe('competition.yaml schema', () => {
  it('parses the bundled HuBMAP-like config with units and defaults', () => {
    const config = parseCompetitionConfig(toYaml(bundledYaml('hubmap-glomeruli')));
    assert.deepEqual(config.metric, { name: 'dice', rleOrder: 'column' });
    assert.deepEqual(config.submissions.kinds, ['file', 'kernel', 'model']);
    assert.deepEqual(config.limits, { dailySubmissions: 5, finalSelections: 2, maxTeamSize: 5 });
    assert.equal(config.kernel?.timeLimitSeconds, 9 * 3600);
    assert.equal(config.kernel?.memoryBytes, 16 * 1024 ** 3);
    assert.equal(config.kernel?.gpus, 1);
    assert.equal(config.kernel?.showHiddenDataLogs, false);
    assert.equal(config.kernel?.processes, 256, 'a modest default: a fork bomb stops there');
    assert.deepEqual(config.feedback, { perImagePublic: false }, 'per-image public scores would name the public slides');
    // The 1st place's pipeline: 1024 px every 512 px (50 % overlap) at 320, centres only, flips, 0.4.
    assert.deepEqual(config.model?.views, [{ window: 1024, size: 320, stride: 512 }]);
    assert.equal(config.model?.blend, 'center-crop');
    assert.deepEqual(config.model?.tta, ['identity', 'hflip', 'vflip']);
    assert.equal(config.model?.threshold, 0.4);
    assert.equal(config.model?.maxSizeBytes, 100 * 1024 ** 2);
    assert.equal(config.data.recipe?.generator, 'hubmap-glomeruli');
  });

  it("expresses the lecture's pipelines: the 3rd place (1024 → 512, centres) and the 17th (two views, 1/16 overlap, averaged)", () => {
    const y = bundledYaml('hubmap-glomeruli') as Record<string, any>;
    y.model.views = [{ window: 1024, size: 512, stride: 512 }];
    assert.deepEqual(parseCompetitionConfig(toYaml(y)).model?.views, [{ window: 1024, size: 512, stride: 512 }]);
    y.model.views = [
      { window: 1408, size: 352, stride: 1408 - 1408 / 16 },
      { window: 1024, size: 512, stride: 1024 - 1024 / 16 },
    ];
    y.model.blend = 'count';
    const m = parseCompetitionConfig(toYaml(y)).model;
    assert.equal(m?.views.length, 2);
    assert.equal(m?.views[0]?.stride, 1320);
  });

  it('parses the bundled Sartorius-like config: instance mAP, row order, kernel-only', () => {
    const config = parseCompetitionConfig(toYaml(bundledYaml('sartorius-cells')));
    assert.equal(config.metric.name, 'instance-map');
    assert.equal(config.metric.rleOrder, 'row');
    assert.ok(config.metric.name === 'instance-map');
    assert.deepEqual(config.metric.iouThresholds, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
    assert.deepEqual(config.submissions.kinds, ['kernel', 'model']);
    assert.deepEqual(config.model?.instances, { method: 'watershed', minArea: 20 });
  });

  it('takes classes of instances, each with its minimum area (the instances\' minArea where a class sets none)', () => {
    const y = bundledYaml('sartorius-cells') as Record<string, any>;
    y.model.output = { kind: 'logits', channels: 4 };
    y.model.instances = { method: 'watershed', minArea: 20, classes: [{ name: 'shsy5y', minArea: 60 }, { name: 'astro' }, { name: 'cort', minArea: 0 }] };
    assert.deepEqual(parseCompetitionConfig(toYaml(y)).model?.instances, {
      method: 'watershed',
      minArea: 20,
      classes: [
        { name: 'shsy5y', minArea: 60 },
        { name: 'astro', minArea: 20 },
        { name: 'cort', minArea: 0 },
      ],
    });
  });

  // The model's output channels: 1 to 3 for the instances, then one per class.
  const classCases: Array<[what: string, channels: number, classes: unknown, field: string, message: RegExp]> = [
    ['too few channels for the classes', 2, [{ name: 'a' }, { name: 'b' }], 'model.output.channels', /at least 3: the foreground, then one channel per class/],
    ['too many channels for the classes', 6, [{ name: 'a' }, { name: 'b' }], 'model.output.channels', /at most 5 \(foreground, boundary, centre, then one per class: 2\)/],
    ['four channels without classes', 4, undefined, 'model.output.channels', /at most 3 \(foreground, boundary, centre\)/],
    ['a class named twice', 3, [{ name: 'a' }, { name: 'a' }], 'model.instances.classes', /names a class twice/],
    ['an empty list of classes', 1, [], 'model.instances.classes', /at least one class/],
    ['a negative class minimum', 2, [{ name: 'a', minArea: -1 }], 'model.instances.classes.0.minArea', /negative/],
    ['a misspelt class field', 2, [{ name: 'a', min_area: 3 }], 'model.instances.classes.0.min_area', /unknown field/],
  ];
  for (const [what, channels, classes, field, message] of classCases) {
    it(`names ${field} for ${what}`, () => {
      const y = bundledYaml('sartorius-cells') as Record<string, any>;
      y.model.output = { kind: 'logits', channels };
      y.model.instances = { method: 'components', minArea: 5, ...(classes === undefined ? {} : { classes }) };
      const issue = issuesOf(() => parseCompetitionConfig(toYaml(y))).find((i) => i.field === field);
      assert.ok(issue, `no issue for ${field}`);
      assert.match(issue.message, message);
    });
  }

  it('fills defaults: 9 h kernels, Kaggle IoU thresholds, 5 a day, 2 selections', () => {
    const yaml = bundledYaml('sartorius-cells');
    delete yaml.limits;
    delete yaml.kernel.timeLimit;
    delete yaml.metric.iouThresholds;
    const config = parseCompetitionConfig(toYaml(yaml));
    assert.equal(config.kernel?.timeLimitSeconds, 32_400);
    assert.equal(config.limits.dailySubmissions, 5);
    assert.equal(config.limits.finalSelections, 2);
    assert.ok(config.metric.name === 'instance-map' && config.metric.iouThresholds.length === 10);
  });

  it('resolves a relative timeline: open now, close in 60 days', () => {
    const config = parseCompetitionConfig(toYaml(bundledYaml('hubmap-glomeruli')));
    const anchor = new Date('2026-11-01T12:00:00Z');
    const t = resolveTimeline(config.timeline, anchor);
    assert.equal(t.opensAt.toISOString(), anchor.toISOString());
    assert.equal(t.closesAt.getTime() - anchor.getTime(), 60 * 86_400_000);
    assert.ok(t.teamMergeDeadline > t.opensAt && t.teamMergeDeadline < t.closesAt);
  });

  // Each case breaks one field; the error must name that field.
  const broken: Array<[string, (y: Record<string, any>) => void, string, RegExp]> = [
    ['a duration that is not one', (y) => (y.kernel.timeLimit = '9 hours'), 'kernel.timeLimit', /duration/],
    ['a misspelt field', (y) => (y.metric.rle_order = 'column'), 'metric.rle_order', /unknown field/],
    ['an unknown metric', (y) => (y.metric.name = 'iou'), 'metric.name', /dice/],
    ['an unknown RLE order', (y) => (y.metric.rleOrder = 'diagonal'), 'metric.rleOrder', /column/],
    ['a zero daily limit', (y) => (y.limits.dailySubmissions = 0), 'limits.dailySubmissions', /at least 1/],
    ['a fractional selection limit', (y) => (y.limits.finalSelections = 1.5), 'limits.finalSelections', /whole number/],
    ['a close before the merge deadline', (y) => (y.timeline.closesAt = 'now+1d'), 'timeline.closesAt', /after teamMergeDeadline/],
    ['a date without a zone', (y) => (y.timeline.opensAt = '2026-09-01'), 'timeline.opensAt', /zone/],
    ['kernels allowed without settings', (y) => delete y.kernel, 'kernel', /required because/],
    ['an unknown submission kind', (y) => (y.submissions.kinds = ['file', 'email']), 'submissions.kinds.1', /kernel/],
    ['the model kind without its pipeline', (y) => delete y.model, 'model', /required because submissions.kinds allows "model"/],
    ['a model section in schema version 1', (y) => (y.schemaVersion = 1), 'model', /needs schemaVersion: 2/],
    ['a stride past the window', (y) => (y.model.views[0].stride = 1100), 'model.views.0.stride', /must not exceed window/],
    ['an up-scaling view', (y) => (y.model.views[0].size = 2048), 'model.views.0.size', /must not exceed window/],
    ['an unknown TTA transform', (y) => (y.model.tta = ['identity', 'transpose']), 'model.tta.1', /hflip/],
    ['instances in a Dice competition', (y) => (y.model.instances = { method: 'components' }), 'model.instances', /instance-map/],
    ['a bad memory size', (y) => (y.kernel.memory = 'lots'), 'kernel.memory', /size/],
    ['a schema version from the future', (y) => (y.schemaVersion = 3), 'schemaVersion', /expected 1 or 2/],
    ['a missing title', (y) => delete y.title, 'title', /required/],
    ['a bad slug', (y) => (y.slug = 'HuBMAP Kidney'), 'slug', /lowercase/],
    ['recipe and files both', (y) => (y.data.files = { public: 'p', hidden: 'h' }), 'data', /exactly one/],
    ['an unknown generator', (y) => (y.data.recipe.generator = 'lungs'), 'data.recipe.generator', /unknown generator/],
    ['a bad generator parameter', (y) => (y.data.recipe.params.scales.demo.train = 'many'), 'data.recipe.params.scales.demo.train', /number/],
    ['an unknown generator parameter', (y) => (y.data.recipe.params.colour = 'blue'), 'data.recipe.params.colour', /unknown field/],
  ];
  for (const [what, mutate, field, message] of broken) {
    it(`names ${field} for ${what}`, () => {
      const yaml = bundledYaml('hubmap-glomeruli');
      mutate(yaml);
      const issues = issuesOf(() => parseCompetitionConfig(toYaml(yaml)));
      const issue = issues.find((i) => i.field === field);
      assert.ok(issue, `no issue for ${field}; got ${JSON.stringify(issues)}`);
      assert.match(issue.message, message);
      assert.equal(issue.file, 'competition.yaml');
    });
  }

  it('reports every problem at once, not only the first', () => {
    const yaml = bundledYaml('hubmap-glomeruli');
    yaml.kernel.timeLimit = 'forever';
    yaml.limits.dailySubmissions = -1;
    const fields = issuesOf(() => parseCompetitionConfig(toYaml(yaml))).map((i) => i.field);
    assert.ok(fields.includes('kernel.timeLimit') && fields.includes('limits.dailySubmissions'), fields.join(', '));
  });

  it('takes a kernel image pinned by digest, and refuses a malformed pin naming the field', () => {
    const yaml = bundledYaml('hubmap-glomeruli');
    const digest = `sha256:${'ab'.repeat(32)}`;
    yaml.kernel.image = `holdout/kernel-runtime:cuda@${digest}`;
    assert.equal(parseCompetitionConfig(toYaml(yaml)).kernel?.image, `holdout/kernel-runtime:cuda@${digest}`);
    yaml.kernel.image = 'holdout/kernel-runtime:cuda@sha256:abc';
    const issues = issuesOf(() => parseCompetitionConfig(toYaml(yaml)));
    assert.deepEqual(issues.map((i) => i.field), ['kernel.image']);
    assert.match(issues[0]!.message, /name\[:tag\]@sha256: followed by 64 lowercase hex digits/);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf(() => parseCompetitionConfig('schemaVersion: 1\ntitle: [unclosed\n'));
    assert.match(issues[0]!.message, /line \d+/);
  });

  it('rejects a document that is not a mapping', () => {
    const issues = issuesOf(() => parseCompetitionConfig('- just\n- a list\n'));
    assert.match(issues[0]!.message, /mapping/);
  });
});
