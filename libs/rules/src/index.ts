// Pure rules of the platform (no I/O, no framework), each with a table test: what a submission's
// status may become, what is charged to the daily quota and the GPU budget, what may be rescored,
// timelines, kernel policy. Where SQL needs a rule, libs/db builds it from the lists here.
export * from './lifecycle.js';
export * from './charging.js';
export * from './timeline.js';
export * from './kernels.js';
export * from './competition.js';
export * from './teams.js';
