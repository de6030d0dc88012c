import { BLEND_WASM } from './blend.wasm.js';

/** The functions of blend.wat: pointers are byte offsets into the memory, counts are elements. */
export interface BlendKernels {
  /** acc[k] += src[k] × w */
  addScaled(acc: number, src: number, n: number, w: number): void;
  /** acc[k] += src[k] × weights[k] × w */
  addScaledWeighted(acc: number, src: number, weights: number, n: number, w: number): void;
  /** acc[k] += (a[k] + (b[k] − a[k]) × f) × w */
  addLerp(acc: number, a: number, b: number, n: number, f: number, w: number): void;
  /** acc[k] += (a[k] + (b[k] − a[k]) × f) × weights[k] × w */
  addLerpWeighted(acc: number, a: number, b: number, weights: number, n: number, f: number, w: number): void;
  /** out[k] = l + (row[hi[k]] − l) × frac[k] with l = row[lo[k]] (lo and hi: int32 element indices into the row) */
  resizeLine(row: number, lo: number, hi: number, frac: number, n: number, out: number): void;
  /** Writes to `out` (int32) each index whose (value ≥ t) differs from the index before's (outside before 0); returns how many. */
  thresholdEdges(line: number, n: number, t: number, out: number): number;
}

// The ES2023 lib has no WebAssembly types (they come with the DOM lib): the few used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;
/** What a 32-bit WebAssembly memory can address: 65536 pages of 64 KiB. */
export const MAX_KERNEL_MEMORY_BYTES = 65536 * PAGE;

let module: object | undefined;

/**
 * The memory of the last accumulator that was done with its image, kept for the next one: its pages
 * are already in place. A first touch costs about 10 µs a 4 KiB page on these machines (69 ms for
 * the 25 MB ring of a 6144 px slide, against 1 ms to clear it again).
 */
let spare: { memory: WasmMemory; kernels: BlendKernels } | null = null;

/**
 * A WebAssembly memory with the blend kernels working over it, its first `bytes` zero. The caller
 * lays out its float32 arrays in it; `reserve` grows it, which detaches every view of the old
 * `buffer`. `release` hands it to the next KernelMemory made.
 */
export class KernelMemory {
  readonly kernels: BlendKernels;
  private readonly memory: WasmMemory;

  constructor(bytes: number) {
    this.check(bytes);
    const reused = spare;
    spare = null;
    if (reused) {
      [this.memory, this.kernels] = [reused.memory, reused.kernels];
      this.reserve(bytes);
      new Uint8Array(this.memory.buffer, 0, bytes).fill(0);
    } else {
      module ??= new wasm.Module(Buffer.from(BLEND_WASM, 'base64'));
      this.memory = new wasm.Memory({ initial: Math.ceil(bytes / PAGE), maximum: MAX_KERNEL_MEMORY_BYTES / PAGE });
      this.kernels = new wasm.Instance(module, { env: { memory: this.memory } }).exports as BlendKernels;
    }
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Makes the memory at least `bytes` long; true when it grew (views of the old buffer are then detached). */
  reserve(bytes: number): boolean {
    if (bytes <= this.memory.buffer.byteLength) return false;
    this.check(bytes);
    this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE));
    return true;
  }

  /** Hands the memory to the next KernelMemory made (the caller drops its views and this object). */
  release(): void {
    spare = { memory: this.memory, kernels: this.kernels };
  }

  private check(bytes: number): void {
    if (!(bytes <= MAX_KERNEL_MEMORY_BYTES)) {
      throw new RangeError(`the blend needs ${bytes} bytes; its WebAssembly memory holds at most ${MAX_KERNEL_MEMORY_BYTES} (4 GiB)`);
    }
  }
}
