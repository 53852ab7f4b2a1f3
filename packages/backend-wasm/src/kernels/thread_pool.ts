/**
 * Workers that share a job of the block-sparse kernels with the calling
 * thread, on tfjs-backend-wasm's shared memory (its threaded build, in a
 * cross-origin isolated page). Jobs are split into chunks of work units
 * (segments or blocks) that every participant grabs with an atomic counter.
 *
 * Control block, int32 slots in the shared memory:
 *   0 kernel index      1 units        2 units per chunk    3 next chunk
 *   4 participants done 5 closed (1: workers return)        6 argument count
 *   7.. the kernel's arguments (MAX_ARGS)
 *   then per worker a mailbox (the number of the last job posted to it),
 *   then per worker a flag (1 once it waits for jobs).
 * A job's slots are written only while no worker works on one, jobs go only
 * to workers whose flag is up, and a worker reads a job's slots only when its
 * own mailbox says one is posted to it: a worker that starts late, or wakes
 * late, never sees a job half written, and reports each job done once.
 */
const KERNEL = 0;
const UNITS = 1;
const UNITS_PER_CHUNK = 2;
const NEXT_CHUNK = 3;
const DONE = 4;
const CLOSED = 5;
const ARG_COUNT = 6;
const ARGS = 7;
const MAX_ARGS = 32;
const MAILBOXES = ARGS + MAX_ARGS;

/** Bytes of the control block for a pool of `helpers` workers. */
export function controlBytes(helpers: number): number {
  return 4 * (MAILBOXES + 2 * helpers);
}

/** Chunks per participant: enough to even out segments of unequal work. */
const CHUNKS_PER_THREAD = 4;

/**
 * How long the calling thread waits for the workers to finish a job once it
 * has no chunk left to take: a chunk is a small share of one kernel call, so
 * a worker this late has stopped (a page's main thread must not hang).
 */
const WORKER_TIMEOUT_MS = 10000;

type Kernel = (...args: number[]) => void;

/**
 * Grabs chunks of the posted job until none are left. The workers run its
 * source too (Function.toString), so it names slots by number only.
 */
function runChunks(kernels: Record<string, Kernel>, names: string[], control: Int32Array): void {
  const kernel = kernels[names[control[0]]];
  const args = Array.from(control.subarray(7, 7 + control[6]));
  const units = control[1];
  const perChunk = control[2];
  for (let chunk = Atomics.add(control, 3, 1); chunk * perChunk < units; chunk = Atomics.add(control, 3, 1)) {
    kernel(...args, chunk * perChunk, Math.min(units, (chunk + 1) * perChunk));
  }
}

const WORKER_SOURCE = `
${runChunks.toString()}
onmessage = ({data: {module, memory, control: offset, names, index, helpers}}) => {
  const kernels = new WebAssembly.Instance(module, {env: {memory}}).exports;
  const control = new Int32Array(memory.buffer, offset, ${MAILBOXES} + 2 * helpers);
  const mailbox = ${MAILBOXES} + index;
  let seen = Atomics.load(control, mailbox);
  Atomics.store(control, ${MAILBOXES} + helpers + index, 1);
  for (;;) {
    Atomics.wait(control, mailbox, seen);
    seen = Atomics.load(control, mailbox);
    if (Atomics.load(control, ${CLOSED}) === 1) {
      close();
      return;
    }
    ${runChunks.name}(kernels, names, control);
    Atomics.add(control, ${DONE}, 1);
  }
};`;

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];
  private jobs = 0;
  private failure: string|null = null;

  /** Starts `helpers` workers; until they are up, jobs run on the calling thread alone. */
  constructor(
      module: WebAssembly.Module, memory: WebAssembly.Memory, controlOffset: number, helpers: number, private readonly names: string[]) {
    this.control = new Int32Array(memory.buffer, controlOffset, MAILBOXES + 2 * helpers);
    this.control.fill(0);
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], {type: 'text/javascript'}));
    for (let index = 0; index < helpers; index++) {
      const worker = new Worker(url);
      worker.onerror = e => {
        this.failure = `a block-sparse wasm worker failed: ${e.message}`;
        console.warn(this.failure);
      };
      worker.postMessage({module, memory, control: controlOffset, names, index, helpers});
      this.workers.push(worker);
    }
    URL.revokeObjectURL(url);
  }

  /** The indices of the workers started and waiting for jobs (none once the pool failed or was disposed). */
  private ready(): number[] {
    if (this.failure != null) {
      return [];
    }
    const flags = MAILBOXES + this.workers.length;
    return this.workers.map((_, index) => index).filter(index => Atomics.load(this.control, flags + index) === 1);
  }

  /** Workers started and waiting for jobs. */
  get helpers(): number {
    return this.ready().length;
  }

  /** Resolves when every worker has started, or after timeoutMs (jobs run on the threads up by then). */
  async started(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.failure == null && this.helpers < this.workers.length && performance.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
  }

  /**
   * Runs kernels[names[kernel]](...args, first, end) over [0, units) on the
   * calling thread and the started workers, and returns when all is done.
   * Throws where a worker failed or stopped answering: its chunks may be
   * unwritten, and the pool runs no job after that.
   */
  run(kernels: Record<string, Kernel>, kernel: number, args: number[], units: number): void {
    if (args.length > MAX_ARGS) {
      throw new Error(`the block-sparse wasm thread pool takes ${MAX_ARGS} kernel arguments, got ${args.length}`);
    }
    const control = this.control;
    // A worker that starts from here on waits for the next job.
    const participants = this.ready();
    control[KERNEL] = kernel;
    control[UNITS] = units;
    control[UNITS_PER_CHUNK] = Math.max(1, Math.ceil(units / ((participants.length + 1) * CHUNKS_PER_THREAD)));
    control[NEXT_CHUNK] = 0;
    control[DONE] = 0;
    control[ARG_COUNT] = args.length;
    control.set(args, ARGS);
    this.jobs = (this.jobs + 1) | 0;
    for (const index of participants) {
      Atomics.store(control, MAILBOXES + index, this.jobs);
      Atomics.notify(control, MAILBOXES + index);
    }
    runChunks(kernels, this.names, control);
    // A page's main thread may not Atomics.wait: spin, as emscripten's pthreads do, within a deadline.
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    while (Atomics.load(control, DONE) < participants.length) {
      if (this.failure != null || performance.now() > deadline) {
        this.failure ??= `a block-sparse wasm worker did not finish its share of a job within ${WORKER_TIMEOUT_MS} ms`;
        this.dispose();
        throw new Error(`${this.failure}; the job's output is incomplete (later calls run on one thread)`);
      }
    }
  }

  /**
   * Stops the workers; jobs then run on the calling thread. The control
   * block stays allocated: a worker between jobs may still read it before it
   * sees the pool closed (another pool there would hand it that pool's jobs).
   */
  dispose(): void {
    this.failure ??= 'the block-sparse wasm thread pool was disposed';
    Atomics.store(this.control, CLOSED, 1);
    this.workers.forEach((worker, index) => {
      Atomics.add(this.control, MAILBOXES + index, 1);
      Atomics.notify(this.control, MAILBOXES + index);
      worker.terminate();
    });
  }
}
