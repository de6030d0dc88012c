// Public surface of @holdout/inference: the tiled ONNX pipeline of model submissions (the HuBMAP
// winners' pipeline), model files and their checks, and the onnxruntime-node predictor.
export * from './types.js';
export * from './tiling.js';
export * from './tta.js';
export * from './resize.js';
export * from './blend.js';
export * from './rle-stream.js';
export * from './instances.js';
export * from './image-source.js';
export * from './pipeline.js';
export * from './validate.js';
export * from './model-file.js';
export * from './model-check.js';
export * from './session.js';
