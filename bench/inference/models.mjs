// Models for the inference benchmark when no trained baseline is at hand, built in code with the
// inference library's test graph builders.
import { buildModel, floatTensor, INPUT_NAME, intsAttribute, node, OUTPUT_NAME, tensorValue } from '@holdout/inference/testing';

/** Name the JSON lines give `smallConvNet()`. */
export const SMALL_CONV_NET = 'conv3x3-relu-3-16-16-1';

/**
 * Three 3×3 convolutions (padding 1), 3 → 16 → 16 → 1 channels, ReLU between them: about 0.3
 * GMAC per 320×320 patch, a stand-in for a small U-Net's cost per pixel. Random weights (seeded);
 * output as logits.
 */
export function smallConvNet(seed = 7) {
  const random = lcg(seed);
  const layers = [
    [3, 16],
    [16, 16],
    [16, 1],
  ];
  const nodes = [];
  const initializers = [];
  let input = INPUT_NAME;
  layers.forEach(([cin, cout], i) => {
    const last = i === layers.length - 1;
    const conv = last ? OUTPUT_NAME : `conv${i}`;
    const scale = Math.sqrt(2 / (cin * 9));
    initializers.push(
      floatTensor(`w${i}`, [cout, cin, 3, 3], Array.from({ length: cout * cin * 9 }, () => (random() * 2 - 1) * scale)),
      floatTensor(`b${i}`, [cout], Array.from({ length: cout }, () => (random() * 2 - 1) * 0.1)),
    );
    nodes.push(node('Conv', [input, `w${i}`, `b${i}`], [conv], [intsAttribute('kernel_shape', [3, 3]), intsAttribute('pads', [1, 1, 1, 1])]));
    if (!last) {
      nodes.push(node('Relu', [conv], [`relu${i}`]));
      input = `relu${i}`;
    }
  });
  return buildModel({
    nodes,
    initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
  });
}

function lcg(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
