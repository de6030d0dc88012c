// Test support of @holdout/inference (`@holdout/inference/testing`): ONNX graphs built in code, and ensemble archives.
export * from './graphs.js';
export * from './archive.js';
