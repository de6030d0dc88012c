// Checks a student's ONNX model before the platform runs it: the file must decode, use only the
// standard operator set within a supported version range, use only operators from an allow-list of
// ordinary CNN / segmentation layers, carry all its data inside the file, and take one NCHW float32
// image and return one NCHW float32 map. Every refusal names the node or tensor at fault.
import {
  decodeModel,
  OnnxAttributeType,
  OnnxDataLocation,
  OnnxDataType,
  type OnnxModel,
  type OnnxNode,
  type OnnxSparseTensor,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.js';

/**
 * The operators a submitted model may use (default ONNX domain only). Deliberately left out:
 * control flow (Loop, If, Scan), randomness (RandomNormal, Bernoulli, …: scores must be
 * reproducible), sequences, strings, quantized and training operators, and every custom or
 * vendor domain (com.microsoft, …). Asking for an addition is cheap; each one is reviewed.
 */
export const ALLOWED_OPS: ReadonlySet<string> = new Set([
  // convolution, pooling, upsampling
  'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'MaxUnpool',
  'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth',
  // normalisation
  'BatchNormalization', 'InstanceNormalization', 'GroupNormalization', 'LayerNormalization', 'LpNormalization',
  // activations
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh',
  'Softmax', 'LogSoftmax', 'Softplus', 'Softsign', 'Mish', 'Gelu', 'Erf', 'Clip',
  // element-wise arithmetic
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Neg', 'Abs', 'Sign',
  'Floor', 'Ceil', 'Round', 'Min', 'Max', 'Mean', 'Sum', 'Mod', 'Sin', 'Cos',
  // comparisons and selection
  'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Where',
  // reductions
  'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceL2', 'ArgMax', 'ArgMin',
  // linear algebra (attention blocks, heads)
  'MatMul', 'Gemm', 'Einsum',
  // shapes and data movement
  'Shape', 'Size', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Split',
  'Slice', 'Gather', 'GatherElements', 'ScatterND', 'Expand', 'Tile', 'Pad', 'Range',
  'Constant', 'ConstantOfShape', 'Identity', 'Cast', 'CastLike', 'Dropout',
]);

/**
 * Versions of the default ONNX operator set accepted by default: 7 is onnxruntime's own floor, 26
 * the newest onnxruntime-node 1.30 officially supports (it refuses newer ones itself). Raise the
 * ceiling together with the runtime.
 */
export const DEFAULT_OPSET_RANGE = { min: 7, max: 26 } as const;

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export interface ModelExpectation {
  /** Channels of the model's input (PipelineConfig.input.channels). */
  channels: 1 | 3;
  /** Allowed channel counts of the output, e.g. [1] or [1, 2, 3]. */
  outputChannels: readonly number[];
  /** Cap on the file's size. */
  maxBytes: number;
  /** Cap on the bytes held by initializers and Constant nodes (the weights). */
  maxInitializerBytes: number;
  /** Accepted versions of the default operator set; DEFAULT_OPSET_RANGE when absent. */
  opsetRange?: { min: number; max: number };
}

export type ModelProblemCode =
  | 'MODEL_TOO_LARGE' // the file exceeds maxBytes
  | 'MODEL_EMPTY' // zero bytes
  | 'MODEL_NOT_ONNX' // not a protobuf ModelProto (garbage, truncated, a PyTorch checkpoint…)
  | 'IR_VERSION_MISSING' // no ir_version, or one older than 3 (no operator-set imports)
  | 'GRAPH_MISSING' // the model has no graph
  | 'OPSET_MISSING' // no import of the default operator set
  | 'OPSET_DOMAIN_REFUSED' // an imported operator set other than the default one
  | 'OPSET_VERSION_UNSUPPORTED' // default operator set outside the accepted range
  | 'OP_DOMAIN_REFUSED' // a node from a custom or vendor domain
  | 'OP_REFUSED' // an operator outside ALLOWED_OPS
  | 'SUBGRAPH_REFUSED' // a node attribute holding a graph
  | 'LOCAL_FUNCTIONS_REFUSED' // model-local functions
  | 'EXTERNAL_DATA_REFUSED' // a tensor whose data lives in another file
  | 'INITIALIZERS_TOO_LARGE' // weights exceed maxInitializerBytes
  | 'INPUT_COUNT' // not exactly one graph input besides initializers
  | 'INPUT_TYPE' // input is not a float32 tensor
  | 'INPUT_SHAPE' // input is not rank 4 (NCHW), or its shape is not declared
  | 'INPUT_CHANNELS' // input channel dimension is not the competition's channel count
  | 'OUTPUT_COUNT' // not exactly one graph output
  | 'OUTPUT_TYPE' // output is not a float32 tensor
  | 'OUTPUT_SHAPE' // output is not rank 4 (NCHW), or its fixed size differs from the input's
  | 'OUTPUT_CHANNELS'; // output's fixed channel count is not an allowed one

export interface ModelProblem {
  code: ModelProblemCode;
  /** What is wrong and where, in words a student can act on. */
  message: string;
}

export interface ModelInfo {
  irVersion: number;
  /** Version of the default ONNX operator set the model imports. */
  opset: number;
  /** producer_name and producer_version, e.g. "pytorch 2.5.1"; null when absent. */
  producer: string | null;
  inputName: string;
  outputName: string;
  /** The output's channel count when fixed in the file; null when symbolic. */
  outputChannels: number | null;
  /** A fixed batch size in the file (the pipeline must use it); null when symbolic. */
  fixedBatch: number | null;
  /**
   * The input's fixed height and width (null for a symbolic one), or null when both are symbolic.
   * The pipeline checks that a fixed size equals its view's `size`.
   */
  fixedSize: { height: number | null; width: number | null } | null;
  /** Distinct operator types used, sorted. */
  ops: string[];
  nodes: number;
  /** Bytes of data held by initializers and Constant nodes. */
  initializerBytes: number;
}

export type ModelValidation = { ok: true; info: ModelInfo } | { ok: false; problems: ModelProblem[] };

/**
 * Validates a submitted ONNX model against the competition's expectations. Pure and synchronous:
 * decoding a large model takes a while (about a second per few hundred MB), so a process that
 * holds BullMQ locks calls it from a worker thread.
 */
export function validateModel(bytes: Uint8Array, expect: ModelExpectation): ModelValidation {
  if (bytes.byteLength === 0) {
    return refuse('MODEL_EMPTY', 'the model file is empty (0 bytes); upload the .onnx file written by your exporter');
  }
  if (bytes.byteLength > expect.maxBytes) {
    return refuse(
      'MODEL_TOO_LARGE',
      `the model file is ${formatBytes(bytes.byteLength)}, over the limit of ${formatBytes(expect.maxBytes)}; ` +
        'use a smaller backbone or export in float32 without training state',
    );
  }
  const decoded = decode(bytes);
  if (!decoded.ok) return decoded;
  const model = decoded.model;

  const problems: ModelProblem[] = [];
  const add = (code: ModelProblemCode, message: string) => problems.push({ code, message });

  const irVersion = model.ir_version ?? 0;
  if (irVersion < 3) {
    add(
      'IR_VERSION_MISSING',
      model.ir_version === undefined
        ? 'the model has no ir_version; export it again with torch.onnx.export or onnx.save'
        : `the model's ir_version ${irVersion} predates operator-set imports (3); export it again with a current exporter`,
    );
  }

  const range = expect.opsetRange ?? DEFAULT_OPSET_RANGE;
  const opset = checkOpsets(model, range, add);
  problems.push(...safetyProblems(model));

  const graph = model.graph;
  if (!graph) {
    add('GRAPH_MISSING', 'the model has no graph');
    return { ok: false, problems };
  }

  const initializerBytes = weightBytes(model);
  if (initializerBytes > expect.maxInitializerBytes) {
    add(
      'INITIALIZERS_TOO_LARGE',
      `the model's weights take ${formatBytes(initializerBytes)}, over the limit of ${formatBytes(expect.maxInitializerBytes)}`,
    );
  }

  const io = checkInputOutput(model, expect, add);
  if (problems.length > 0 || !io || opset === null) return { ok: false, problems };

  const nodes = graph.node ?? [];
  const producer = [model.producer_name, model.producer_version].filter(Boolean).join(' ');
  return {
    ok: true,
    info: {
      irVersion,
      opset,
      producer: producer || null,
      ...io,
      ops: [...new Set(nodes.map((n) => n.op_type ?? ''))].sort(),
      nodes: nodes.length,
      initializerBytes,
    },
  };
}

/**
 * The checks that keep a model from reaching outside onnxruntime's sandbox of plain tensor maths:
 * operators from the allow-list only, no custom domains, no subgraphs or local functions, no data
 * in other files. `createPredictor` repeats them, so a caller that skipped `validateModel` cannot
 * make the server read a file named by a model.
 */
export function safetyProblems(model: OnnxModel): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const add = (code: ModelProblemCode, message: string) => problems.push({ code, message });

  const functions = model.functions ?? [];
  if (functions.length > 0) {
    const names = functions.map((f) => quote(f.domain ? `${f.domain}.${f.name ?? ''}` : (f.name ?? '')));
    add(
      'LOCAL_FUNCTIONS_REFUSED',
      `the model defines local functions (${listSome(names)}); inline them before uploading ` +
        '(onnx.inliner.inline_local_functions, or torch.onnx.export with the default export options)',
    );
  }

  const nodes = model.graph?.node ?? [];
  // One problem per refused operator type (a big model may use it hundreds of times).
  const refusedOps = new Map<string, string[]>();
  const refusedDomains = new Map<string, string[]>();
  nodes.forEach((node, index) => {
    const where = describeNode(node, index);
    const domain = node.domain ?? '';
    const op = node.op_type ?? '';
    if (!DEFAULT_DOMAINS.has(domain)) {
      const key = `${domain}::${op}`;
      refusedDomains.set(key, [...(refusedDomains.get(key) ?? []), where]);
    } else if (!ALLOWED_OPS.has(op)) {
      refusedOps.set(op, [...(refusedOps.get(op) ?? []), where]);
    }
    for (const attribute of node.attribute ?? []) {
      if (isGraphAttribute(attribute)) {
        add(
          'SUBGRAPH_REFUSED',
          `${where} has a subgraph in attribute ${quote(attribute.name ?? '')}; models with control flow or subgraphs are not accepted`,
        );
      }
    }
  });
  for (const [key, places] of refusedDomains) {
    const [domain, op] = key.split('::') as [string, string];
    add(
      'OP_DOMAIN_REFUSED',
      `operator ${quote(op)} from domain ${quote(domain)} is not allowed (${listSome(places)}); ` +
        'only standard ONNX operators run here: export without custom or onnxruntime-specific (com.microsoft) operators and without fusing optimisations',
    );
  }
  for (const [op, places] of refusedOps) {
    add(
      'OP_REFUSED',
      `operator ${quote(op || '(none)')} is not allowed (${listSome(places)}); models may use the ordinary ` +
        'convolution, normalisation, activation, arithmetic and reshaping operators listed in the competition\'s model rules ' +
        '(no loops, conditionals or random operators); ask the organisers if your architecture needs another one',
    );
  }

  for (const { tensor, where } of tensorsOf(model)) {
    const external = tensor.data_location === OnnxDataLocation.EXTERNAL || (tensor.external_data?.length ?? 0) > 0;
    if (external) {
      const location = tensor.external_data?.find((e) => e.key === 'location')?.value;
      add(
        'EXTERNAL_DATA_REFUSED',
        `${where} keeps its data in an external file${location ? ` (${quote(location)})` : ''}; ` +
          'upload a single self-contained .onnx file (onnx.save(model, path, save_as_external_data=False); models over 2 GB cannot be accepted)',
      );
    }
  }
  return problems;
}

type Decoded = { ok: true; model: OnnxModel } | { ok: false; problems: ModelProblem[] };

function decode(bytes: Uint8Array): Decoded {
  const hint = recogniseOtherFormat(bytes);
  if (hint) return refuse('MODEL_NOT_ONNX', `this is not an ONNX model: ${hint}`);
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch {
    // The decoder's own words ("index out of range: 6 + 712675375 > 4096") help no student.
    return refuse('MODEL_NOT_ONNX', 'the file could not be read as an ONNX model: it is truncated or not an .onnx file — upload the file your exporter wrote, unmodified');
  }
  // Short garbage often decodes as a protobuf message with no known fields.
  if (model.ir_version === undefined && model.graph === undefined && (model.opset_import ?? []).length === 0) {
    return refuse(
      'MODEL_NOT_ONNX',
      'the file is not an ONNX model (it has no ir_version, operator-set import or graph); upload the .onnx file your exporter wrote',
    );
  }
  return { ok: true, model };
}

/** Files students upload by mistake, recognised by their first bytes. */
function recogniseOtherFormat(bytes: Uint8Array): string | null {
  const startsWith = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (startsWith(0x50, 0x4b, 0x03, 0x04)) {
    return 'it is a zip archive (a PyTorch .pt/.pth checkpoint?); export the model with torch.onnx.export and upload the .onnx file';
  }
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5) {
    return 'it is a Python pickle (a PyTorch or scikit-learn checkpoint?); export the model with torch.onnx.export and upload the .onnx file';
  }
  if (startsWith(0x89, 0x48, 0x44, 0x46)) {
    return 'it is an HDF5 file (a Keras .h5 model?); convert it with tf2onnx and upload the .onnx file';
  }
  return null;
}

function checkOpsets(
  model: OnnxModel,
  range: { min: number; max: number },
  add: (code: ModelProblemCode, message: string) => void,
): number | null {
  let opset: number | null = null;
  for (const entry of model.opset_import ?? []) {
    const domain = entry.domain ?? '';
    if (!DEFAULT_DOMAINS.has(domain)) {
      add(
        'OPSET_DOMAIN_REFUSED',
        `the model imports operator set ${quote(domain)}; only the standard ONNX operator set is allowed ` +
          '(export without custom or onnxruntime-specific operators)',
      );
      continue;
    }
    const version = entry.version ?? 0;
    if (version < range.min || version > range.max) {
      add(
        'OPSET_VERSION_UNSUPPORTED',
        `the model uses ONNX operator set ${version}; accepted versions are ${range.min} to ${range.max} ` +
          `(torch.onnx.export(..., opset_version=${Math.min(17, range.max)}))`,
      );
    }
    opset = version;
  }
  if (opset === null) {
    add('OPSET_MISSING', 'the model does not import the standard ONNX operator set; export it again with torch.onnx.export');
  }
  return opset;
}

type InputOutputInfo = Pick<ModelInfo, 'inputName' | 'outputName' | 'outputChannels' | 'fixedBatch' | 'fixedSize'>;

function checkInputOutput(
  model: OnnxModel,
  expect: ModelExpectation,
  add: (code: ModelProblemCode, message: string) => void,
): InputOutputInfo | null {
  const graph = model.graph ?? {};
  const initializers = new Set([
    ...(graph.initializer ?? []).map((t) => t.name),
    ...(graph.sparse_initializer ?? []).map((t) => t.values?.name),
  ]);
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  const outputs = graph.output ?? [];
  let ok = true;

  if (inputs.length !== 1) {
    ok = false;
    add(
      'INPUT_COUNT',
      `the model has ${inputs.length} inputs (${listSome(inputs.map((v) => quote(v.name ?? '')))}); ` +
        `it must take exactly one: the image batch, N×${expect.channels}×H×W float32`,
    );
  }
  if (outputs.length !== 1) {
    ok = false;
    add(
      'OUTPUT_COUNT',
      `the model has ${outputs.length} outputs (${listSome(outputs.map((v) => quote(v.name ?? '')))}); ` +
        'it must return exactly one: the N×K×H×W float32 map (drop auxiliary or deep-supervision heads before export)',
    );
  }
  if (!ok) return null;

  const input = tensorShape(inputs[0]!, 'input', add);
  const output = tensorShape(outputs[0]!, 'output', add);
  if (!input || !output) return null;

  const [n, c, h, w] = input.dims;
  if (c !== expect.channels) {
    ok = false;
    add(
      'INPUT_CHANNELS',
      `input ${quote(input.name)} has ${c === null ? 'a symbolic' : c} channel dimension; ` +
        `this competition feeds ${expect.channels} channel${expect.channels === 1 ? '' : 's'} (N×${expect.channels}×H×W)`,
    );
  }
  const [on, oc, oh, ow] = output.dims;
  if (oc !== null && !expect.outputChannels.includes(oc)) {
    ok = false;
    add(
      'OUTPUT_CHANNELS',
      `output ${quote(output.name)} has ${oc} channels; this competition accepts ${expect.outputChannels.join(' or ')}`,
    );
  }
  const mismatch = (a: number | null, b: number | null) => a !== null && b !== null && a !== b;
  if (mismatch(n, on) || mismatch(h, oh) || mismatch(w, ow)) {
    ok = false;
    add(
      'OUTPUT_SHAPE',
      `output ${quote(output.name)} is ${formatDims(output.dims)} but input ${quote(input.name)} is ${formatDims(input.dims)}; ` +
        'the output must have the input\'s batch size, height and width (upsample the prediction to the input size inside the model)',
    );
  }
  if (!ok) return null;
  return {
    inputName: input.name,
    outputName: output.name,
    outputChannels: oc ?? null,
    fixedBatch: n ?? null,
    fixedSize: h === null && w === null ? null : { height: h ?? null, width: w ?? null },
  };
}

/** A rank-4 float32 tensor's name and dims (null for a symbolic dimension), or a reported problem. */
function tensorShape(
  value: OnnxValueInfo,
  role: 'input' | 'output',
  add: (code: ModelProblemCode, message: string) => void,
): { name: string; dims: (number | null)[] } | null {
  const name = value.name ?? '';
  const upper = role === 'input' ? 'INPUT' : 'OUTPUT';
  const tensor = value.type?.tensor_type;
  if (!tensor || tensor.elem_type !== OnnxDataType.FLOAT) {
    add(
      `${upper}_TYPE`,
      `${role} ${quote(name)} is ${tensor ? `a tensor of ${dataTypeName(tensor.elem_type)}` : 'not a tensor'}; ` +
        'it must be a float32 tensor (export the model in float32, not half precision)',
    );
    return null;
  }
  const dims = tensor.shape?.dim;
  if (!dims || dims.length !== 4) {
    add(
      `${upper}_SHAPE`,
      `${role} ${quote(name)} ${dims ? `has rank ${dims.length}` : 'has no declared shape'}; it must be rank 4, N×C×H×W`,
    );
    return null;
  }
  // Exporters write a dynamic dimension as dim_param, or (some of them) as dim_value -1 or 0.
  return { name, dims: dims.map((d) => (d.dim_value !== undefined && d.dim_value > 0 ? d.dim_value : null)) };
}

interface PlacedTensor {
  tensor: OnnxTensor;
  where: string;
}

/** Every tensor stored in the model: initializers, sparse initializers and node attributes. */
function* tensorsOf(model: OnnxModel): Generator<PlacedTensor> {
  const graph = model.graph ?? {};
  for (const tensor of graph.initializer ?? []) {
    yield { tensor, where: `initializer ${quote(tensor.name ?? '')}` };
  }
  for (const sparse of graph.sparse_initializer ?? []) {
    yield* sparseParts(sparse, `sparse initializer ${quote(sparse.values?.name ?? '')}`);
  }
  const nodeLists = [
    { nodes: graph.node ?? [], prefix: '' },
    ...(model.functions ?? []).map((f) => ({ nodes: f.node ?? [], prefix: `function ${quote(f.name ?? '')}: ` })),
  ];
  for (const { nodes, prefix } of nodeLists) {
    for (const [index, node] of nodes.entries()) {
      for (const attribute of node.attribute ?? []) {
        const where = `${prefix}${describeNode(node, index)} attribute ${quote(attribute.name ?? '')}`;
        if (attribute.t) yield { tensor: attribute.t, where };
        for (const tensor of attribute.tensors ?? []) yield { tensor, where };
        if (attribute.sparse_tensor) yield* sparseParts(attribute.sparse_tensor, where);
        for (const sparse of attribute.sparse_tensors ?? []) yield* sparseParts(sparse, where);
      }
    }
  }
}

function* sparseParts(sparse: OnnxSparseTensor, where: string): Generator<PlacedTensor> {
  if (sparse.values) yield { tensor: sparse.values, where: `${where} (values)` };
  if (sparse.indices) yield { tensor: sparse.indices, where: `${where} (indices)` };
}

function weightBytes(model: OnnxModel): number {
  let total = 0;
  for (const { tensor } of tensorsOf(model)) total += storedBytes(tensor);
  return total;
}

/** Bytes of data a tensor carries in the file. */
function storedBytes(t: OnnxTensor): number {
  return (
    (t.raw_data?.byteLength ?? 0) +
    4 * ((t.float_data?.length ?? 0) + (t.int32_data?.length ?? 0)) +
    8 * ((t.int64_data?.length ?? 0) + (t.double_data?.length ?? 0) + (t.uint64_data?.length ?? 0)) +
    (t.string_data ?? []).reduce((sum, s) => sum + s.byteLength, 0)
  );
}

function isGraphAttribute(attribute: NonNullable<OnnxNode['attribute']>[number]): boolean {
  return (
    attribute.type === OnnxAttributeType.GRAPH ||
    attribute.type === OnnxAttributeType.GRAPHS ||
    attribute.g !== undefined ||
    (attribute.graphs?.length ?? 0) > 0
  );
}

function describeNode(node: OnnxNode, index: number): string {
  const op = node.op_type ?? '';
  return node.name ? `node ${quote(node.name)} (${op})` : `node #${index} (${op}, unnamed)`;
}

function dataTypeName(type: number | undefined): string {
  const entry = Object.entries(OnnxDataType).find(([, v]) => v === type);
  return entry ? entry[0].toLowerCase() : `data type ${type ?? 'undefined'}`;
}

function formatDims(dims: (number | null)[]): string {
  return dims.map((d) => (d === null ? '?' : String(d))).join('×');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** "a, b, c and 4 more". */
function listSome(items: string[], shown = 3): string {
  if (items.length === 0) return 'none';
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} and ${items.length - shown} more` : head;
}

function refuse(code: ModelProblemCode, message: string): { ok: false; problems: ModelProblem[] } {
  return { ok: false, problems: [{ code, message }] };
}
