// Model (ONNX) submissions in words: what a model must be for a competition's pipeline, and why a
// model run failed. Shared by server and client components; only types come from the contracts.
import type { ModelPipelineDto, SubmissionDto } from '@holdout/contracts';
import { formatBytes, formatDuration, sentence } from './format';

/** One line of a model's requirements: a short label and what it says. */
export interface ModelRequirement {
  label: string;
  text: string;
}

/** Output channels in order: channel 0 is the foreground; instance competitions add boundary and centre. */
const CHANNEL_NAMES = ['foreground', 'boundary', 'centre'];

const list = (xs: number[]) => xs.join(', ');

/** `3 (RGB) normalised as (x/255 − mean)/std with mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225`. */
function inputText(m: ModelPipelineDto): string {
  const { channels, mean, std } = m.input;
  const what = channels === 3 ? '3 (RGB)' : '1 (grey)';
  const plain = mean.every((v) => v === 0) && std.every((v) => v === 1);
  const norm = plain ? 'pixels divided by 255 (0 to 1)' : `normalised as (x/255 − mean)/std with mean ${list(mean)} and std ${list(std)}`;
  return `N×C×H×W float32, C = ${what}, ${norm}.`;
}

function outputText(m: ModelPipelineDto): string {
  const { kind, channels } = m.output;
  // With classes of instances, the last channels are one probability per class.
  const classes = m.instances?.classes ?? [];
  const names = [...CHANNEL_NAMES.slice(0, channels - classes.length), ...classes.map((c) => `${c.name} probability`)].join(', ');
  const activation = kind === 'logits' ? 'logits (a sigmoid is applied)' : 'probabilities (used as they are)';
  return `N×K×H×W float32 of the input's height and width: ${activation}, K = ${channels} channel${channels === 1 ? '' : 's'}${names ? `: ${names}` : ''}.`;
}

/** `windows of 1024 px every 512 px resized to 320` (or `… px, not resized`). */
function viewText(v: ModelPipelineDto['views'][number]): string {
  return `windows of ${v.window} px every ${v.stride} px${v.size === v.window ? ', not resized' : ` resized to ${v.size}`}`;
}

const BLEND: Record<ModelPipelineDto['blend'], string> = {
  'center-crop': 'the centre of each window kept',
  count: 'overlapping windows averaged',
  gaussian: 'overlapping windows weighted by a Gaussian',
};

function ttaText(tta: ModelPipelineDto['tta']): string {
  const extra = tta.filter((t) => t !== 'identity');
  if (extra.length === 0) return 'no test-time augmentation';
  const flips = extra.every((t) => t === 'hflip' || t === 'vflip');
  return `${flips ? 'flip TTA' : 'TTA'} (${extra.join(', ')}${tta.includes('identity') ? '' : '; no plain prediction'}), each undone and averaged`;
}

function pipelineText(m: ModelPipelineDto): string {
  const views = m.views.map(viewText);
  const parts = [
    views.length === 1 ? views[0]! : `${views.length} views averaged: ${views.join('; ')}`,
    BLEND[m.blend],
    ttaText(m.tta),
    `threshold ${m.threshold} on the probability`,
  ];
  if (m.tissue.minTissue > 0) parts.push(`windows with under ${Math.round(m.tissue.minTissue * 100)} % tissue are skipped and predicted empty`);
  if (m.instances) {
    const how = m.instances.method === 'watershed' ? 'a watershed' : 'connected components';
    const classes = m.instances.classes ?? [];
    if (classes.length > 0) {
      const minimums = classes.map((c) => `${c.name} ${c.minArea} px`).join(', ');
      parts.push(`instances by ${how}, each of the class with the highest mean probability over it, and dropped when smaller than its class's minimum (${minimums})`);
    } else parts.push(`instances by ${how}${m.instances.minArea > 0 ? `, smaller than ${m.instances.minArea} px dropped` : ''}`);
  }
  return sentence(`${parts.join('; ')}.`);
}

/** What a submitted model must be, from the competition's pipeline, as label/text lines. */
export function modelRequirements(m: ModelPipelineDto): ModelRequirement[] {
  const sizes = [...new Set(m.views.map((v) => v.size))];
  return [
    { label: 'Input', text: inputText(m) },
    { label: 'Output', text: outputText(m) },
    { label: 'Pipeline', text: pipelineText(m) },
    { label: 'Limits', text: `At most ${formatBytes(m.maxSizeBytes)}; the run over every test image may take up to ${formatDuration(m.timeLimitSeconds)}.` },
    { label: 'Ensemble', text: 'A .tar of several .onnx files, their probabilities averaged.' },
    {
      label: 'Shapes',
      // A fixed input size must match every view's size: with views of different sizes, none does.
      text:
        sizes.length === 1
          ? `Dynamic axes (N, H, W) recommended; a fixed input size must equal the view size (${sizes[0]}×${sizes[0]}).`
          : `Dynamic axes (N, H, W) needed: the views differ in size (${sizes.map((s) => `${s}×${s}`).join(', ')}).`,
    },
  ];
}

/**
 * Why a model submission failed, as a heading (with whether it was charged) and, where the
 * server's message does not say it, what it means.
 */
export function modelFailure(s: Pick<SubmissionDto, 'charged' | 'error'>): { title: string; explanation: string | null } {
  const e = s.error!;
  const charged = s.charged ? ' (charged)' : ' (not charged)';
  if (e.code === 'model_output') {
    return {
      title: `The model produced NaN or an output of the wrong shape${charged}`,
      explanation: "Each window's output must be finite float32, N×K×H×W with the input's height and width.",
    };
  }
  switch (e.class) {
    case 'timeout':
      return { title: `The model ran out of time${charged}`, explanation: null };
    case 'infrastructure':
      return { title: 'Failed on our side (not charged)', explanation: null };
    case 'cancelled':
      return { title: 'Cancelled (not charged)', explanation: null };
    case 'scoring-error':
    case 'validation':
      return { title: `The model's predictions were refused by the scorer${charged}`, explanation: null };
    default:
      return { title: `The model run failed${charged}`, explanation: null };
  }
}
