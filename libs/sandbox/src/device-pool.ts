/**
 * Hands out accelerator device ids one job per device, as a kernel worker told its devices
 * (`HOLDOUT_GPUS=0,1`) needs. In-process only: each GPU host runs one kernel worker.
 */
export class DevicePool {
  private readonly free: string[];
  private readonly waiters: Array<(id: string) => void> = [];

  constructor(readonly devices: readonly string[]) {
    if (new Set(devices).size !== devices.length) throw new Error('device ids repeat');
    this.free = [...devices];
  }

  /** Parses `HOLDOUT_GPUS` style lists: "0,1", "GPU-uuid", "" or undefined (no devices). */
  static fromList(list: string | undefined): DevicePool {
    const ids = (list ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return new DevicePool(ids);
  }

  get size(): number {
    return this.devices.length;
  }

  get available(): number {
    return this.free.length;
  }

  /** Takes a free device now, or null when all are busy. */
  tryAcquire(): string | null {
    return this.free.shift() ?? null;
  }

  /** Waits for a free device (FIFO). Rejects at once when the pool has no devices at all. */
  acquire(signal?: AbortSignal): Promise<string> {
    if (this.devices.length === 0) return Promise.reject(new Error('this worker has no GPU devices'));
    const id = this.tryAcquire();
    if (id !== null) return Promise.resolve(id);
    return new Promise((resolve, reject) => {
      const waiter = (got: string) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(got);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(id: string): void {
    if (!this.devices.includes(id)) throw new Error(`unknown device ${id}`);
    if (this.free.includes(id)) throw new Error(`device ${id} released twice`);
    const next = this.waiters.shift();
    if (next) next(id);
    else this.free.push(id);
  }

  /** Runs `fn` with a device held, releasing it however `fn` ends. */
  async withDevice<T>(fn: (id: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const id = await this.acquire(signal);
    try {
      return await fn(id);
    } finally {
      this.release(id);
    }
  }
}
