/** The KernelRunner (DockerKernelRunner by default; tests may give a recording one). */
export const KERNEL_RUNNER = Symbol('KERNEL_RUNNER');
/** The DevicePool of this worker's GPUs (HOLDOUT_GPUS). */
export const DEVICE_POOL = Symbol('DEVICE_POOL');
