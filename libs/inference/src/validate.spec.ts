import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeModel } from './onnx-proto.js';
import {
  buildModel,
  constantModel,
  customDomainModel,
  externalDataModel,
  fixedSizeModel,
  flipModel,
  garbageBytes,
  halfPrecisionModel,
  identityModel,
  largeInitializerModel,
  localFunctionModel,
  loopModel,
  nanModel,
  node,
  randomModel,
  tensorValue,
  truncatedModel,
  twoInputsModel,
  wrongShapeModel,
} from './testing/graphs.js';
import { ALLOWED_OPS, validateModel, type ModelExpectation, type ModelProblemCode } from './validate.js';

const expect: ModelExpectation = { channels: 3, outputChannels: [1], maxBytes: 1 << 20, maxInitializerBytes: 1 << 16 };

function problemsOf(bytes: Uint8Array, overrides: Partial<ModelExpectation> = {}) {
  const result = validateModel(bytes, { ...expect, ...overrides });
  assert.equal(result.ok, false, 'expected the model to be refused');
  return result.ok ? [] : result.problems;
}

describe('validateModel accepts', () => {
  it('the identity model and describes it', () => {
    const result = validateModel(identityModel(), expect);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.info, {
      irVersion: 8,
      opset: 17,
      producer: 'holdout-testing',
      inputName: 'image',
      outputName: 'mask',
      outputChannels: 1,
      fixedBatch: null,
      fixedSize: null,
      ops: ['Conv'],
      nodes: 1,
      initializerBytes: 16, // a 1×3×1×1 weight and a bias, float32
    });
  });

  const good: Array<[name: string, bytes: Uint8Array, overrides: Partial<ModelExpectation>]> = [
    ['a constant model', constantModel(0.2), {}],
    ['a model computing NaN (only running it shows that)', nanModel(), {}],
    ['a flipping model', flipModel(), {}],
    ['a grey-scale model', identityModel({ channels: 1 }), { channels: 1 }],
    ['three output channels when 1..3 are allowed', identityModel({ outputChannels: 3 }), { outputChannels: [1, 2, 3] }],
    ['a symbolic output channel count', wrongShapeModel('extra-channel'), {}],
    ['a symbolic output size (only running it shows a wrong one)', wrongShapeModel('half-size'), {}],
    ['the lowest accepted operator set', identityModel({ opset: 7 }), {}],
    ['the highest accepted operator set', identityModel({ opset: 26 }), {}],
    ['weights exactly at the cap', largeInitializerModel(1000), { maxInitializerBytes: 1016 }],
  ];
  for (const [name, bytes, overrides] of good) {
    it(name, () => {
      const result = validateModel(bytes, { ...expect, ...overrides });
      assert.ok(result.ok, JSON.stringify(result));
    });
  }

  it('reports a fixed batch and size for the pipeline to check', () => {
    const result = validateModel(fixedSizeModel(256), expect);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.info.fixedBatch, 1);
    assert.deepEqual(result.info.fixedSize, { height: 256, width: 256 });
  });

  it('accepts the default domain spelled "ai.onnx" and dim_value -1 as a dynamic dimension', () => {
    const bytes = encodeModel({
      ir_version: 8,
      opset_import: [{ domain: 'ai.onnx', version: 17 }],
      graph: {
        node: [{ ...node('Identity', ['image'], ['mask']), domain: 'ai.onnx' }],
        input: [tensorValue('image', [-1, 1, -1, -1])],
        output: [tensorValue('mask', [-1, 1, -1, -1])],
      },
    });
    const result = validateModel(bytes, { ...expect, channels: 1 });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.info.fixedSize, null);
  });

  it('allows the operators ordinary segmentation networks are made of, and not control flow or randomness', () => {
    for (const op of ['Conv', 'ConvTranspose', 'BatchNormalization', 'Resize', 'Concat', 'Sigmoid', 'MatMul', 'Softmax']) {
      assert.ok(ALLOWED_OPS.has(op), op);
    }
    for (const op of ['Loop', 'If', 'Scan', 'RandomNormal', 'RandomUniformLike', 'Bernoulli', 'SequenceConstruct', 'StringNormalizer']) {
      assert.ok(!ALLOWED_OPS.has(op), op);
    }
  });
});

describe('validateModel refuses', () => {
  // [case, model bytes, expectation overrides, expected codes, text each message must contain]
  const cases: Array<[string, Uint8Array, Partial<ModelExpectation>, ModelProblemCode[], string[]]> = [
    ['an empty file', new Uint8Array(0), {}, ['MODEL_EMPTY'], ['empty']],
    ['a file over the size cap', identityModel(), { maxBytes: 50 }, ['MODEL_TOO_LARGE'], ['50 bytes']],
    ['garbage bytes', garbageBytes(), {}, ['MODEL_NOT_ONNX'], ['could not be read']],
    ['a truncated model', truncatedModel(), {}, ['MODEL_NOT_ONNX'], ['truncated']],
    ['bytes that decode to an empty message', Uint8Array.from([0x78, 0x01]), {}, ['MODEL_NOT_ONNX'], ['no ir_version']],
    ['a zip archive (PyTorch checkpoint)', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]), {}, ['MODEL_NOT_ONNX'], ['torch.onnx.export']],
    ['a pickle', Uint8Array.from([0x80, 0x04, 0x95, 0, 0]), {}, ['MODEL_NOT_ONNX'], ['pickle']],
    [
      'a vendor-domain operator',
      customDomainModel(),
      {},
      ['OPSET_DOMAIN_REFUSED', 'OP_DOMAIN_REFUSED'],
      ['com.microsoft'],
    ],
    ['an external-data initializer', externalDataModel('initializer'), {}, ['EXTERNAL_DATA_REFUSED'], ['initializer "offset"', 'weights.bin']],
    [
      'a Constant node with external data',
      externalDataModel('constant', '../../secrets.txt'),
      {},
      ['EXTERNAL_DATA_REFUSED'],
      ['node "offset_constant" (Constant)', '../../secrets.txt'],
    ],
    ['a sparse initializer with external data', externalDataModel('sparse-initializer'), {}, ['EXTERNAL_DATA_REFUSED'], ['sparse initializer "offset"']],
    ['a Loop', loopModel(), {}, ['SUBGRAPH_REFUSED', 'OP_REFUSED'], ['"loop"']],
    ['a random operator', randomModel(), {}, ['OP_REFUSED'], ['RandomUniformLike', 'node "noise"']],
    ['weights one byte over the cap', largeInitializerModel(1000), { maxInitializerBytes: 1015 }, ['INITIALIZERS_TOO_LARGE'], ['1016 bytes']],
    ['two inputs', twoInputsModel(), {}, ['INPUT_COUNT'], ['"image", "second"']],
    ['a grey-scale model where RGB is fed', identityModel({ channels: 1 }), {}, ['INPUT_CHANNELS'], ['feeds 3 channels']],
    ['an RGB model where grey is fed', identityModel({ channels: 3 }), { channels: 1 }, ['INPUT_CHANNELS'], ['feeds 1 channel']],
    ['an output channel count not allowed', identityModel({ outputChannels: 2 }), {}, ['OUTPUT_CHANNELS'], ['2 channels', 'accepts 1']],
    ['a rank-3 output', wrongShapeModel('rank3'), {}, ['OUTPUT_SHAPE'], ['rank 3']],
    ['half-precision input and output', halfPrecisionModel(), {}, ['INPUT_TYPE', 'OUTPUT_TYPE'], ['float16']],
    ['a local function', localFunctionModel(), {}, ['OPSET_DOMAIN_REFUSED', 'LOCAL_FUNCTIONS_REFUSED', 'OP_DOMAIN_REFUSED'], ['holdout.local']],
    ['an operator set too old', identityModel({ opset: 6 }), {}, ['OPSET_VERSION_UNSUPPORTED'], ['operator set 6', '7 to 26']],
    ['an operator set too new', identityModel({ opset: 27 }), {}, ['OPSET_VERSION_UNSUPPORTED'], ['operator set 27']],
    ['an operator set outside a custom range', identityModel({ opset: 17 }), { opsetRange: { min: 11, max: 13 } }, ['OPSET_VERSION_UNSUPPORTED'], ['11 to 13']],
  ];
  for (const [name, bytes, overrides, codes, texts] of cases) {
    it(name, () => {
      const problems = problemsOf(bytes, overrides);
      assert.deepEqual(problems.map((p) => p.code).sort(), [...codes].sort(), JSON.stringify(problems));
      for (const text of texts) {
        assert.ok(
          problems.some((p) => p.message.includes(text)),
          `no message mentions ${JSON.stringify(text)}: ${JSON.stringify(problems)}`,
        );
      }
    });
  }

  it('a model without ir_version, or with no default operator set', () => {
    const graph = {
      node: [node('Identity', ['image'], ['mask'])],
      input: [tensorValue('image', ['N', 3, 'H', 'W'])],
      output: [tensorValue('mask', ['N', 1, 'H', 'W'])],
    };
    assert.deepEqual(
      problemsOf(encodeModel({ opset_import: [{ domain: '', version: 17 }], graph })).map((p) => p.code),
      ['IR_VERSION_MISSING'],
    );
    assert.deepEqual(problemsOf(encodeModel({ ir_version: 8, graph })).map((p) => p.code), ['OPSET_MISSING']);
  });

  it('a model without a graph', () => {
    const bytes = encodeModel({ ir_version: 8, opset_import: [{ domain: '', version: 17 }] });
    assert.deepEqual(problemsOf(bytes).map((p) => p.code), ['GRAPH_MISSING']);
  });

  it('an output whose fixed size differs from the fixed input size', () => {
    const bytes = buildModel({
      nodes: [node('MaxPool', ['image'], ['mask'], [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 7, ints: [2, 2] }])],
      inputs: [tensorValue('image', [1, 1, 64, 64])],
      outputs: [tensorValue('mask', [1, 1, 32, 32])],
    });
    const [problem, ...rest] = problemsOf(bytes, { channels: 1 });
    assert.equal(rest.length, 0);
    assert.equal(problem?.code, 'OUTPUT_SHAPE');
    assert.match(problem?.message ?? '', /1×1×32×32 but input "image" is 1×1×64×64/);
  });

  it('names each refused operator once, however many nodes use it, and names unnamed nodes by index', () => {
    const nodes = [node('Identity', ['image'], ['a'])];
    for (let i = 0; i < 10; i++) nodes.push({ ...node('RandomNormalLike', [i === 0 ? 'a' : `r${i - 1}`], [`r${i}`]), name: '' });
    nodes.push(node('Identity', ['r9'], ['mask']));
    const bytes = buildModel({
      nodes,
      inputs: [tensorValue('image', ['N', 3, 'H', 'W'])],
      outputs: [tensorValue('mask', ['N', 1, 'H', 'W'])],
    });
    const problems = problemsOf(bytes);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /"RandomNormalLike" is not allowed \(node #1 \(RandomNormalLike, unnamed\), .* and 7 more\)/);
  });

  it('reports every problem of a model at once', () => {
    const bytes = buildModel({
      nodes: [{ ...node('Foo', ['image', 'second'], ['mask']), domain: 'com.example' }],
      inputs: [tensorValue('image', ['N', 3, 'H', 'W']), tensorValue('second', ['N', 3, 'H', 'W'])],
      outputs: [tensorValue('mask', ['N', 1, 'H', 'W'])],
      opsetImports: [{ domain: 'com.example', version: 1 }],
      opset: 5,
    });
    assert.deepEqual(
      problemsOf(bytes).map((p) => p.code).sort(),
      ['INPUT_COUNT', 'OPSET_DOMAIN_REFUSED', 'OPSET_VERSION_UNSUPPORTED', 'OP_DOMAIN_REFUSED'],
    );
  });
});
