/**
 * Workers that share a job of the block-sparse kernels with the calling
 * thread, on tfjs-backend-wasm's shared memory (its threaded build, in a
 * cross-origin isolated page). Jobs are split into chunks of work units
 * (segments or blocks) that every participant grabs with an atomic counter.
 *
 * Control block, int32 slots in the shared memory:
 *   0 generation (bumped to post a job)   1 kernel index     2 units
 *   3 units per chunk                     4 next chunk       5 participants done
 *   6 workers started                     7 participants     8 argument count
 *   9.. the kernel's arguments
 */
const GENERATION = 0;
const KERNEL = 1;
const UNITS = 2;
const UNITS_PER_CHUNK = 3;
const NEXT_CHUNK = 4;
const DONE = 5;
const STARTED = 6;
const PARTICIPANTS = 7;
const ARG_COUNT = 8;
const ARGS = 9;
const MAX_ARGS = 32;
export const CONTROL_BYTES = 4 * (ARGS + MAX_ARGS);

/** Chunks per participant: enough to even out segments of unequal work. */
const CHUNKS_PER_THREAD = 4;

type Kernel = (...args: number[]) => void;

/**
 * Grabs chunks of the posted job until none are left. The workers run its
 * source too (Function.toString), so it names slots by number only.
 */
function runChunks(kernels: Record<string, Kernel>, names: string[], control: Int32Array): void {
  const kernel = kernels[names[control[1]]];
  const args = Array.from(control.subarray(9, 9 + control[8]));
  const units = control[2];
  const perChunk = control[3];
  for (let chunk = Atomics.add(control, 4, 1); chunk * perChunk < units; chunk = Atomics.add(control, 4, 1)) {
    kernel(...args, chunk * perChunk, Math.min(units, (chunk + 1) * perChunk));
  }
}

const WORKER_SOURCE = `
${runChunks.toString()}
onmessage = ({data: {module, memory, control: offset, names}}) => {
  const kernels = new WebAssembly.Instance(module, {env: {memory}}).exports;
  const control = new Int32Array(memory.buffer, offset, ${ARGS + MAX_ARGS});
  let seen = Atomics.load(control, ${GENERATION});
  const index = Atomics.add(control, ${STARTED}, 1);
  for (;;) {
    Atomics.wait(control, ${GENERATION}, seen);
    seen = Atomics.load(control, ${GENERATION});
    if (control[${KERNEL}] < 0) {
      close();
      return;
    }
    if (index < control[${PARTICIPANTS}]) {
      ${runChunks.name}(kernels, names, control);
      Atomics.add(control, ${DONE}, 1);
    }
  }
};`;

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];

  /** Starts `helpers` workers; until they are up, jobs run on the calling thread alone. */
  constructor(
      module: WebAssembly.Module, memory: WebAssembly.Memory, controlOffset: number, helpers: number,
      private readonly names: string[]) {
    this.control = new Int32Array(memory.buffer, controlOffset, ARGS + MAX_ARGS);
    this.control.fill(0);
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], {type: 'text/javascript'}));
    for (let i = 0; i < helpers; i++) {
      const worker = new Worker(url);
      // A worker that fails never counts as started: its share runs on the other threads.
      worker.onerror = e => console.warn(`a block-sparse wasm worker failed: ${e.message}`);
      worker.postMessage({module, memory, control: controlOffset, names});
      this.workers.push(worker);
    }
    URL.revokeObjectURL(url);
  }

  /** Workers started and waiting for jobs. */
  get helpers(): number {
    return Atomics.load(this.control, STARTED);
  }

  /** Resolves when every worker has started, or after timeoutMs (jobs run on the threads up by then). */
  async started(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.helpers < this.workers.length && performance.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
  }

  /**
   * Runs kernels[names[kernel]](...args, first, end) over [0, units) on the
   * calling thread and the started workers, and returns when all is done.
   */
  run(kernels: Record<string, Kernel>, kernel: number, args: number[], units: number): void {
    const control = this.control;
    const participants = this.helpers;
    control[KERNEL] = kernel;
    control[UNITS] = units;
    control[UNITS_PER_CHUNK] = Math.max(1, Math.ceil(units / ((participants + 1) * CHUNKS_PER_THREAD)));
    control[NEXT_CHUNK] = 0;
    control[DONE] = 0;
    control[PARTICIPANTS] = participants;
    control[ARG_COUNT] = args.length;
    control.set(args, ARGS);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    runChunks(kernels, this.names, control);
    // A page's main thread may not Atomics.wait: spin, as emscripten's pthreads do.
    while (Atomics.load(control, DONE) < participants) {
      // The workers are finishing their last chunks.
    }
  }
}
