// Pure rules of the platform (no I/O, no framework), each with a table test: what a submission's
// status may become, what is charged, budgets, timelines, kernel policy.
export * from './kernels.js';
