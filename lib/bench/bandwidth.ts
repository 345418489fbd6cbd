/**
 * Memory bandwidth of this machine, measured in this process: a streaming read over a buffer
 * far larger than the caches, timed best-of-N. Three readers, because the honest roofline is
 * the fastest one: a JS loop on one core, JS Web Workers on every core (a shared buffer split
 * in slices), and onnxruntime's own ReduceSum on its intra-op thread pool (vectorised code,
 * the same threads that run the model).
 *
 * @module
 */
import { encodeModel } from "../forge/onnx_proto.ts";
import { DataType } from "../forge/onnx_proto.ts";
import { best } from "./stats.ts";

/** One reader's result. */
export interface BandwidthResult {
  /** What read the buffer ("js-1", "js-workers-2", "ort-reducesum-2"). */
  reader: string;
  /** Bytes read per pass. */
  bytes: number;
  /** Seconds of every timed pass. */
  passSeconds: number[];
  /** bytes ÷ fastest pass, bytes/s. */
  bytesPerSecond: number;
}

/**
 * Sums `view[start..end)` with four independent accumulators (so the loop is not bound by
 * the latency of one floating-point add chain).
 *
 * @example
 * ```ts
 * sumSlice(new Float64Array([1, 2, 3]), 0, 3); // 6
 * ```
 */
export function sumSlice(view: Float64Array, start: number, end: number): number {
  let a = 0, b = 0, c = 0, d = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    a += view[i];
    b += view[i + 1];
    c += view[i + 2];
    d += view[i + 3];
  }
  for (; i < end; i++) a += view[i];
  return a + b + c + d;
}

function filled(bytes: number, shared: boolean): Float64Array {
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const view = new Float64Array(buffer);
  for (let i = 0; i < view.length; i++) view[i] = i & 1023; // touch every page
  return view;
}

function result(reader: string, bytes: number, passSeconds: number[]): BandwidthResult {
  return { reader, bytes, passSeconds, bytesPerSecond: bytes / best(passSeconds) };
}

/** Options shared by the readers. */
export interface BandwidthOptions {
  /** Buffer size in bytes (default 1 GiB: 32× this machine's L3). */
  bytes?: number;
  /** Timed passes after one warm-up pass (default 5). */
  passes?: number;
}

/**
 * Streaming read by a plain JS loop on the main thread.
 *
 * @example
 * ```ts
 * const { bytesPerSecond } = measureJsBandwidth({ bytes: 256 << 20, passes: 3 });
 * ```
 */
export function measureJsBandwidth(opts: BandwidthOptions = {}): BandwidthResult {
  const bytes = opts.bytes ?? 2 ** 30;
  const view = filled(bytes, false);
  const times: number[] = [];
  let sink = 0;
  for (let p = 0; p <= (opts.passes ?? 5); p++) {
    const t0 = performance.now();
    sink += sumSlice(view, 0, view.length);
    if (p > 0) times.push((performance.now() - t0) / 1000);
  }
  if (Number.isNaN(sink)) throw new Error("unreachable");
  return result("js-1", bytes, times);
}

/**
 * Streaming read by `workers` Web Workers, each summing one slice of a shared buffer; a pass
 * lasts from posting to the last worker's answer.
 *
 * @example
 * ```ts
 * const r = await measureJsWorkersBandwidth({ workers: 2 });
 * ```
 */
export async function measureJsWorkersBandwidth(
  opts: BandwidthOptions & { workers?: number } = {},
): Promise<BandwidthResult> {
  const bytes = opts.bytes ?? 2 ** 30;
  const n = opts.workers ?? navigator.hardwareConcurrency;
  const view = filled(bytes, true);
  const url = new URL("./_bandwidth_worker.ts", import.meta.url);
  const workers = Array.from({ length: n }, () => new Worker(url, { type: "module" }));
  const slice = Math.ceil(view.length / n);
  const pass = () =>
    Promise.all(workers.map((w, i) =>
      new Promise<void>((resolve, reject) => {
        w.onmessage = () => resolve();
        w.onerror = (e) => reject(e);
        w.postMessage({
          buffer: view.buffer,
          start: i * slice,
          end: Math.min(view.length, (i + 1) * slice),
        });
      })
    ));
  const times: number[] = [];
  try {
    for (let p = 0; p <= (opts.passes ?? 5); p++) {
      const t0 = performance.now();
      await pass();
      if (p > 0) times.push((performance.now() - t0) / 1000);
    }
  } finally {
    for (const w of workers) w.terminate();
  }
  return result(`js-workers-${n}`, bytes, times);
}

/**
 * The ONNX model of one ReduceSum over the last axis of a float32 [rows, cols] input: a
 * streaming read done by onnxruntime's vectorised kernels, rows split over its threads.
 */
export function reduceSumModel(): Uint8Array {
  return encodeModel({
    graphName: "bandwidth",
    nodes: [{
      op: "ReduceSum",
      inputs: ["x", "axes"],
      outputs: ["y"],
      name: "/ReduceSum",
      attrs: { keepdims: { i: 0 } },
    }],
    initializers: [],
    inputs: [{ name: "x", dataType: DataType.FLOAT, shape: ["rows", "cols"] }, {
      name: "axes",
      dataType: DataType.INT64,
      shape: [1],
    }],
    outputs: [{ name: "y", dataType: DataType.FLOAT, shape: ["rows"] }],
    opsets: { "": 17 },
    irVersion: 8,
    producer: "course-kit-bench",
  });
}

/**
 * The ONNX model of one MatMul of a float32 [1, K] vector by a [K, N] matrix fed as an input:
 * the matrix-vector product that dominates decoding, streamed by MLAS's SGEMV.
 */
export function gemvModel(): Uint8Array {
  return encodeModel({
    graphName: "bandwidth_gemv",
    nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"], name: "/MatMul" }],
    initializers: [],
    inputs: [
      { name: "x", dataType: DataType.FLOAT, shape: [1, "k"] },
      { name: "w", dataType: DataType.FLOAT, shape: ["k", "n"] },
    ],
    outputs: [{ name: "y", dataType: DataType.FLOAT, shape: [1, "n"] }],
    opsets: { "": 17 },
    irVersion: 8,
    producer: "course-kit-bench",
  });
}

/** The onnxruntime-node module surface the benchmarks use. */
// deno-lint-ignore no-explicit-any
export type Ort = any;

/**
 * Streaming read by onnxruntime over a float32 buffer of `bytes` bytes on `threads` intra-op
 * threads: ReduceSum of its rows (default), or a matrix-vector product with it ("gemv", what
 * a decoder's fp32 MatMul does with its weights).
 *
 * @example
 * ```ts
 * const ort = await loadOrt(); // lib/bench/_ort.ts
 * const r = await measureOrtBandwidth(ort, { threads: 2 });
 * ```
 */
export async function measureOrtBandwidth(
  ort: Ort,
  opts: BandwidthOptions & { threads?: number; op?: "reducesum" | "gemv" } = {},
): Promise<BandwidthResult> {
  const bytes = opts.bytes ?? 2 ** 30;
  const op = opts.op ?? "reducesum";
  const threads = opts.threads ?? navigator.hardwareConcurrency;
  const cols = 4096;
  const rows = Math.floor(bytes / 4 / cols);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = i & 1023;
  const session = await ort.InferenceSession.create(
    op === "gemv" ? gemvModel() : reduceSumModel(),
    { intraOpNumThreads: threads, graphOptimizationLevel: "all" },
  );
  const feeds = op === "gemv"
    ? {
      x: new ort.Tensor("float32", new Float32Array(rows).fill(1), [1, rows]),
      w: new ort.Tensor("float32", data, [rows, cols]),
    }
    : {
      x: new ort.Tensor("float32", data, [rows, cols]),
      axes: new ort.Tensor("int64", BigInt64Array.from([1n]), [1]),
    };
  const times: number[] = [];
  try {
    for (let p = 0; p <= (opts.passes ?? 5); p++) {
      const t0 = performance.now();
      const out = await session.run(feeds);
      if (p > 0) times.push((performance.now() - t0) / 1000);
      out.y.dispose?.();
    }
  } finally {
    await session.release();
  }
  return result(`ort-${op}-${threads}`, rows * cols * 4, times);
}
