// Small ONNX models built in code, for tests here and in other packages: good ones whose output is
// known exactly, and bad ones for each refusal of `validateModel`. All take NCHW float32 input named
// "image" with symbolic N, H and W unless said otherwise, and return "mask".
import {
  encodeModel,
  OnnxAttributeType,
  OnnxDataLocation,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxFunction,
  type OnnxGraph,
  type OnnxNode,
  type OnnxOperatorSetId,
  type OnnxSparseTensor,
  type OnnxTensor,
  type OnnxValueInfo,
} from '../onnx-proto.js';

export const INPUT_NAME = 'image';
export const OUTPUT_NAME = 'mask';

/** Options shared by the builders. */
export interface GraphOptions {
  /** Input channels (default 3). */
  channels?: 1 | 3;
  /** Output channels, each a copy of the same map (default 1). */
  outputChannels?: number;
  /** Default-domain operator-set version (default 17). */
  opset?: number;
}

export interface ModelSpec {
  nodes: OnnxNode[];
  initializers?: OnnxTensor[];
  sparseInitializers?: OnnxSparseTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opset?: number;
  /** Extra operator-set imports besides the default domain. */
  opsetImports?: OnnxOperatorSetId[];
  functions?: OnnxFunction[];
  irVersion?: number;
}

/** Serializes a model from its parts. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const opset = spec.opset ?? 17;
  const graph: OnnxGraph = {
    name: 'holdout_test_graph',
    node: spec.nodes,
    initializer: spec.initializers ?? [],
    sparse_initializer: spec.sparseInitializers ?? [],
    input: spec.inputs,
    output: spec.outputs,
  };
  return encodeModel({
    ir_version: spec.irVersion ?? (opset >= 21 ? 10 : 8),
    producer_name: 'holdout-testing',
    opset_import: [{ domain: '', version: opset }, ...(spec.opsetImports ?? [])],
    graph,
    functions: spec.functions ?? [],
  });
}

/** A float32 initializer stored as little-endian raw_data (what exporters write). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const data = Float32Array.from(values);
  return { name, dims, data_type: OnnxDataType.FLOAT, raw_data: new Uint8Array(data.buffer) };
}

/** An int64 initializer (shapes, axes, slice bounds). */
export function int64Tensor(name: string, dims: number[], values: number[]): OnnxTensor {
  return { name, dims, data_type: OnnxDataType.INT64, int64_data: values };
}

/** A graph input or output: a tensor with the given dims (strings are symbolic). */
export function tensorValue(
  name: string,
  dims: (number | string)[],
  elemType: number = OnnxDataType.FLOAT,
): OnnxValueInfo {
  const dim = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: OnnxAttribute[] = [], name?: string): OnnxNode {
  return { op_type: opType, input: inputs, output: outputs, attribute: attributes, name: name ?? `${opType}_${outputs[0] ?? ''}` };
}

export function intsAttribute(name: string, ints: number[]): OnnxAttribute {
  return { name, type: OnnxAttributeType.INTS, ints };
}

export function intAttribute(name: string, i: number): OnnxAttribute {
  return { name, type: OnnxAttributeType.INT, i };
}

/**
 * A 1×1 convolution whose every output channel is `scale`×(input channel 0) + `shift`. Exact in
 * float32: the other input channels are multiplied by zero.
 */
function channelZeroConv(input: string, output: string, channels: number, outputChannels: number, scale: number, shift: number) {
  const weight = new Float32Array(outputChannels * channels);
  for (let k = 0; k < outputChannels; k++) weight[k * channels] = scale;
  return {
    node: node('Conv', [input, `${output}_w`, `${output}_b`], [output]),
    initializers: [
      floatTensor(`${output}_w`, [outputChannels, channels, 1, 1], weight),
      floatTensor(`${output}_b`, [outputChannels], new Array<number>(outputChannels).fill(shift)),
    ],
  };
}

function defaults(options: GraphOptions) {
  return { channels: options.channels ?? 3, outputChannels: options.outputChannels ?? 1, opset: options.opset ?? 17 };
}

/**
 * Output channel(s) = input channel 0 × std + mean: given the pipeline's normalisation of channel
 * 0, the output is the denormalised pixel in 0..1, so "probability = brightness" of the image.
 * With the defaults (mean 0, std 1) the output is input channel 0 unchanged.
 */
export function identityModel(options: GraphOptions & { mean?: number; std?: number } = {}): Uint8Array {
  const { channels, outputChannels, opset } = defaults(options);
  const conv = channelZeroConv(INPUT_NAME, OUTPUT_NAME, channels, outputChannels, options.std ?? 1, options.mean ?? 0);
  return buildModel({
    nodes: [conv.node],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', channels, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', outputChannels, 'H', 'W'])],
    opset,
  });
}

/**
 * Output channel k = input channel k, for each of the 3 RGB channels (a 1×1 convolution with the
 * identity matrix): an image whose channels already hold the maps (foreground, class probabilities…)
 * passes them through as the model's output.
 */
export function channelIdentityModel(): Uint8Array {
  const weight = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  return buildModel({
    nodes: [node('Conv', [INPUT_NAME, 'w', 'b'], [OUTPUT_NAME])],
    initializers: [floatTensor('w', [3, 3, 1, 1], weight), floatTensor('b', [3], [0, 0, 0])],
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 3, 'H', 'W'])],
  });
}

/** Every output pixel is `value` (rounded to float32); NaN and ±Infinity are allowed. */
export function constantModel(value: number, options: GraphOptions = {}): Uint8Array {
  const { channels, outputChannels, opset } = defaults(options);
  const conv = channelZeroConv(INPUT_NAME, OUTPUT_NAME, channels, outputChannels, 0, value);
  return buildModel({
    nodes: [conv.node],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', channels, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', outputChannels, 'H', 'W'])],
    opset,
  });
}

/** Computes 0/0: every output pixel is NaN, though every weight in the file is finite. */
export function nanModel(options: GraphOptions = {}): Uint8Array {
  const { channels, outputChannels, opset } = defaults(options);
  const conv = channelZeroConv(INPUT_NAME, 'zero', channels, outputChannels, 0, 0);
  return buildModel({
    nodes: [conv.node, node('Div', ['zero', 'zero'], [OUTPUT_NAME])],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', channels, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', outputChannels, 'H', 'W'])],
    opset,
  });
}

/** Output = input channel 0 mirrored left to right (not flip-equivariant, unlike the others). */
export function flipModel(options: GraphOptions = {}): Uint8Array {
  const { channels, outputChannels, opset } = defaults(options);
  const conv = channelZeroConv(INPUT_NAME, 'picked', channels, outputChannels, 1, 0);
  return buildModel({
    nodes: [conv.node, node('Slice', ['picked', 'starts', 'ends', 'axes', 'steps'], [OUTPUT_NAME])],
    initializers: [
      ...conv.initializers,
      int64Tensor('starts', [1], [-1]),
      // INT64_MIN: "through the first element" when stepping backwards.
      int64Tensor('ends', [1], [-(2 ** 63)]),
      int64Tensor('axes', [1], [3]),
      int64Tensor('steps', [1], [-1]),
    ],
    inputs: [tensorValue(INPUT_NAME, ['N', channels, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', outputChannels, 'H', 'W'])],
    opset,
  });
}

/**
 * Models whose output has the wrong shape:
 * - `rank3`: N×H×W (channel mean, declared as such; `validateModel` refuses it),
 * - `half-size`: N×K×H/2×W/2 declared with symbolic dims, so only running it shows the problem,
 * - `extra-channel`: N×(K+1)×H×W declared with a symbolic channel count.
 */
export function wrongShapeModel(kind: 'rank3' | 'half-size' | 'extra-channel', options: GraphOptions = {}): Uint8Array {
  const { channels, outputChannels, opset } = defaults(options);
  const input = tensorValue(INPUT_NAME, ['N', channels, 'H', 'W']);
  switch (kind) {
    case 'rank3':
      return buildModel({
        nodes: [node('ReduceMean', [INPUT_NAME], [OUTPUT_NAME], [intsAttribute('axes', [1]), intAttribute('keepdims', 0)])],
        inputs: [input],
        outputs: [tensorValue(OUTPUT_NAME, ['N', 'H', 'W'])],
        opset: Math.min(opset, 17), // `axes` became an input in opset 18
      });
    case 'half-size': {
      const conv = channelZeroConv(INPUT_NAME, 'picked', channels, outputChannels, 1, 0);
      return buildModel({
        nodes: [
          conv.node,
          node('MaxPool', ['picked'], [OUTPUT_NAME], [intsAttribute('kernel_shape', [2, 2]), intsAttribute('strides', [2, 2])]),
        ],
        initializers: conv.initializers,
        inputs: [input],
        outputs: [tensorValue(OUTPUT_NAME, ['N', outputChannels, 'H2', 'W2'])],
        opset,
      });
    }
    case 'extra-channel': {
      const conv = channelZeroConv(INPUT_NAME, OUTPUT_NAME, channels, outputChannels + 1, 1, 0);
      return buildModel({
        nodes: [conv.node],
        initializers: conv.initializers,
        inputs: [input],
        outputs: [tensorValue(OUTPUT_NAME, ['N', 'K', 'H', 'W'])],
        opset,
      });
    }
  }
}

/** The identity model with a fixed input and output size (batch 1, `size`×`size`). */
export function fixedSizeModel(size: number, options: GraphOptions = {}): Uint8Array {
  const { channels, outputChannels, opset } = defaults(options);
  const conv = channelZeroConv(INPUT_NAME, OUTPUT_NAME, channels, outputChannels, 1, 0);
  return buildModel({
    nodes: [conv.node],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, [1, channels, size, size])],
    outputs: [tensorValue(OUTPUT_NAME, [1, outputChannels, size, size])],
    opset,
  });
}

// ---- Models `validateModel` refuses -----------------------------------------------------------

/** A node from a vendor domain (default: onnxruntime's com.microsoft FusedConv). */
export function customDomainModel(options: { domain?: string; op?: string; channels?: 1 | 3 } = {}): Uint8Array {
  const domain = options.domain ?? 'com.microsoft';
  const channels = options.channels ?? 3;
  const conv = channelZeroConv(INPUT_NAME, 'picked', channels, 1, 1, 0);
  return buildModel({
    nodes: [conv.node, { ...node(options.op ?? 'FusedConv', ['picked'], [OUTPUT_NAME], [], 'custom_op'), domain }],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', channels, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
    opsetImports: [{ domain, version: 1 }],
  });
}

/**
 * A tensor whose data is said to live in another file (`location`, default "weights.bin"): as an
 * initializer, as the value of a Constant node, or as a sparse initializer's values.
 */
export function externalDataModel(
  where: 'initializer' | 'constant' | 'sparse-initializer' = 'initializer',
  location = 'weights.bin',
): Uint8Array {
  const external: OnnxTensor = {
    dims: [1],
    data_type: OnnxDataType.FLOAT,
    data_location: OnnxDataLocation.EXTERNAL,
    external_data: [
      { key: 'location', value: location },
      { key: 'offset', value: '0' },
      { key: 'length', value: '4' },
    ],
  };
  const input = tensorValue(INPUT_NAME, ['N', 3, 'H', 'W']);
  const output = tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W']);
  const conv = channelZeroConv(INPUT_NAME, 'picked', 3, 1, 1, 0);
  const add = node('Add', ['picked', 'offset'], [OUTPUT_NAME]);
  switch (where) {
    case 'initializer':
      return buildModel({
        nodes: [conv.node, add],
        initializers: [...conv.initializers, { ...external, name: 'offset' }],
        inputs: [input],
        outputs: [output],
      });
    case 'constant':
      return buildModel({
        nodes: [
          node('Constant', [], ['offset'], [{ name: 'value', type: OnnxAttributeType.TENSOR, t: external }], 'offset_constant'),
          conv.node,
          add,
        ],
        initializers: conv.initializers,
        inputs: [input],
        outputs: [output],
      });
    case 'sparse-initializer':
      return buildModel({
        nodes: [conv.node, add],
        initializers: conv.initializers,
        sparseInitializers: [{ values: { ...external, name: 'offset' }, indices: int64Tensor('offset_indices', [1], [0]), dims: [1] }],
        inputs: [input],
        outputs: [output],
      });
  }
}

/** A Loop whose body adds 1 to the image three times (control flow and a subgraph). */
export function loopModel(): Uint8Array {
  const body: OnnxGraph = {
    name: 'loop_body',
    node: [node('Add', ['x_in', 'one'], ['x_out']), node('Identity', ['cond_in'], ['cond_out'])],
    initializer: [floatTensor('one', [1], [1])],
    input: [tensorValue('iter', [], OnnxDataType.INT64), tensorValue('cond_in', [], OnnxDataType.BOOL), tensorValue('x_in', ['N', 3, 'H', 'W'])],
    output: [tensorValue('cond_out', [], OnnxDataType.BOOL), tensorValue('x_out', ['N', 3, 'H', 'W'])],
  };
  return buildModel({
    nodes: [
      node('Loop', ['trips', '', INPUT_NAME], ['looped'], [{ name: 'body', type: OnnxAttributeType.GRAPH, g: body }], 'loop'),
      node('ReduceMean', ['looped'], [OUTPUT_NAME], [intsAttribute('axes', [1]), intAttribute('keepdims', 1)]),
    ],
    initializers: [int64Tensor('trips', [], [3])],
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
    opset: 13,
  });
}

/** Adds uniform noise (RandomUniformLike): refused because a score must be reproducible. */
export function randomModel(): Uint8Array {
  const conv = channelZeroConv(INPUT_NAME, 'picked', 3, 1, 1, 0);
  return buildModel({
    nodes: [conv.node, node('RandomUniformLike', ['picked'], ['noise'], [], 'noise'), node('Add', ['picked', 'noise'], [OUTPUT_NAME])],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
  });
}

/** The identity model (3 channels in, 1 out) carrying an unused float32 initializer of `bytes` bytes (rounded up to 4). */
export function largeInitializerModel(bytes: number): Uint8Array {
  const conv = channelZeroConv(INPUT_NAME, OUTPUT_NAME, 3, 1, 1, 0);
  const count = Math.ceil(bytes / 4);
  return buildModel({
    nodes: [conv.node],
    initializers: [...conv.initializers, floatTensor('unused_weights', [count], new Float32Array(count))],
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
  });
}

/** Adds two image inputs. */
export function twoInputsModel(): Uint8Array {
  const conv = channelZeroConv(INPUT_NAME, 'picked', 3, 1, 1, 0);
  return buildModel({
    nodes: [conv.node, node('Add', ['picked', 'second'], [OUTPUT_NAME])],
    initializers: conv.initializers,
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W']), tensorValue('second', ['N', 1, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
  });
}

/** Float16 input and output (a model exported in half precision). */
export function halfPrecisionModel(): Uint8Array {
  return buildModel({
    nodes: [node('ReduceMean', [INPUT_NAME], [OUTPUT_NAME], [intsAttribute('axes', [1]), intAttribute('keepdims', 1)])],
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'], OnnxDataType.FLOAT16)],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'], OnnxDataType.FLOAT16)],
    opset: 13,
  });
}

/** Calls a model-local function "PickChannel" (local functions are refused). */
export function localFunctionModel(): Uint8Array {
  const fn: OnnxFunction = {
    name: 'PickChannel',
    domain: 'holdout.local',
    input: ['x'],
    output: ['y'],
    node: [node('ReduceMean', ['x'], ['y'], [intsAttribute('axes', [1]), intAttribute('keepdims', 1)])],
    opset_import: [{ domain: '', version: 13 }],
  };
  return buildModel({
    nodes: [{ ...node('PickChannel', [INPUT_NAME], [OUTPUT_NAME], [], 'pick'), domain: 'holdout.local' }],
    inputs: [tensorValue(INPUT_NAME, ['N', 3, 'H', 'W'])],
    outputs: [tensorValue(OUTPUT_NAME, ['N', 1, 'H', 'W'])],
    opsetImports: [{ domain: 'holdout.local', version: 1 }],
    functions: [fn],
    opset: 13,
  });
}

/** Deterministic bytes that are not a protobuf message (an xorshift stream). */
export function garbageBytes(length = 4096, seed = 12345): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The identity model cut off part way through (an interrupted upload). */
export function truncatedModel(fraction = 0.6): Uint8Array {
  const bytes = identityModel();
  return bytes.slice(0, Math.floor(bytes.byteLength * fraction));
}
