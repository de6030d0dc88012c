/** The spec itself is wrong (bad input name, relative path, …): a programming or user error, not retryable. */
export class InvalidKernelSpecError extends Error {
  override readonly name = 'InvalidKernelSpecError';
}

/** The image named by the competition is not present on this engine (no registry pull is attempted). */
export class KernelImageNotFoundError extends Error {
  override readonly name: string = 'KernelImageNotFoundError';
  constructor(
    readonly image: string,
    message = `kernel image ${image} is not present on this engine (build it with docker/kernel-runtime/build.sh)`,
  ) {
    super(message);
  }
}

/**
 * The competition pins its image by digest (`name@sha256:…`) and the image of that name on this
 * engine is another build: the kernel would run in a runtime nobody checked. As permanent as a
 * missing image (the operator loads the pinned one), and never the student's fault.
 */
export class KernelImageMismatchError extends KernelImageNotFoundError {
  override readonly name = 'KernelImageMismatchError';
  constructor(image: string, readonly found: string) {
    super(image, `kernel image ${image.split('@')[0]} on this engine is ${found}, not the ${image.split('@')[1]} the competition pins (load the pinned image on this host)`);
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

/**
 * The kernel was killed by a signal nobody in the sandbox sent and no limit explains (exit code
 * 137 or 143 with no time, memory or output limit reached and no cancel): the Docker engine
 * stopping or restarting kills its containers so. An infrastructure fault, never the student's.
 */
export class KernelKilledFromOutsideError extends Error {
  override readonly name = 'KernelKilledFromOutsideError';
  constructor(
    readonly runId: string,
    readonly exitCode: number,
  ) {
    super(`the kernel of run ${runId} was killed from outside its sandbox (exit code ${exitCode}, no limit reached), as when the Docker engine restarts`);
  }
}
