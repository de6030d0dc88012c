export * from './kernel-runner.js';
export * from './errors.js';
export { DevicePool } from './device-pool.js';
export { LogCapture } from './log-capture.js';
export { measureDir, copyRegularFiles, MAX_OUTPUT_ENTRIES } from './outputs.js';
export { WorkingVolume, createWorkingVolume, probeWorkingVolumes, releaseVolumesUnder, mountPoints, loopDevices, type VolumeUsage } from './working-volume.js';
export {
  buildContainerSpec,
  validateKernelSpec,
  kernelCommand,
  containerName,
  type ContainerContext,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_OWNER,
  LABEL_POOL,
  LABEL_DEADLINE,
  ROLE_KERNEL,
  KAGGLE_INPUT,
  KAGGLE_WORKING,
} from './docker/container-spec.js';
export { DockerKernelRunner, decideOutcome, type DockerKernelRunnerOptions } from './docker/docker-kernel-runner.js';
