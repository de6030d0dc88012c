/** The spec itself is wrong (bad input name, relative path, …): a programming or user error, not retryable. */
export class InvalidKernelSpecError extends Error {
  override readonly name = 'InvalidKernelSpecError';
}

/** The image named by the competition is not present on this engine (no registry pull is attempted). */
export class KernelImageNotFoundError extends Error {
  override readonly name = 'KernelImageNotFoundError';
  constructor(readonly image: string) {
    super(`kernel image ${image} is not present on this engine (build it with docker/kernel-runtime/build.sh)`);
  }
}

/**
 * The sandbox disappeared while the run was being driven (removed by a reconcile elsewhere, or
 * the engine restarted). An infrastructure fault: the caller retries or fails the run.
 */
export class KernelSandboxLostError extends Error {
  override readonly name = 'KernelSandboxLostError';
  constructor(readonly runId: string) {
    super(`the sandbox of run ${runId} disappeared before it could be inspected`);
  }
}
