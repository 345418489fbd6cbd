/**
 * Writes a {@link LlamaGraph} as an .onnx file, either self-contained or with the weights in
 * an external data file `<name>.onnx_data` (the name transformers.js asks for when
 * `transformers.js_config.use_external_data_format` lists the file). External data is
 * written one weight group at a time, so a 7B model never sits in memory; offsets are
 * aligned to 4 KiB so onnxruntime may map them.
 *
 * @module
 */
import { basename } from "node:path";
import { writeAll } from "./_files.ts";
import type { LlamaGraph } from "./llama_graph.ts";
import { DATA_TYPE_BYTES, encodeModel, encodeTensor } from "./onnx_proto.ts";

const ALIGN = 4096;
/** Initializers smaller than this stay inside the .onnx file even with external data. */
const EXTERNAL_MIN_BYTES = 1024;

/** Bytes of every weight initializer of a graph (what the files will hold, roughly). */
export function graphWeightBytes(g: LlamaGraph): number {
  let n = 0;
  for (const group of g.weights) {
    for (const t of group.tensors) {
      n += t.dims.reduce((a, b) => a * b, 1) * DATA_TYPE_BYTES[t.dataType];
    }
  }
  return n;
}

/**
 * Writes `graph` to `path`; with `external` the weights go to `path + "_data"`.
 * Returns the bytes written (model file + data file).
 *
 * @example
 * ```ts
 * await writeOnnx(buildLlamaGraph(shape, "q4", source), "out/onnx/model_q4.onnx", false);
 * ```
 */
export async function writeOnnx(
  graph: LlamaGraph,
  path: string,
  external: boolean,
): Promise<number> {
  const initializers: Uint8Array[] = graph.constants.map(encodeTensor);
  let dataBytes = 0;
  let data: Deno.FsFile | null = null;
  try {
    if (external) {
      data = await Deno.open(`${path}_data`, { write: true, create: true, truncate: true });
    }
    for (const group of graph.weights) {
      const blobs = group.produce();
      for (let i = 0; i < group.tensors.length; i++) {
        const info = group.tensors[i];
        const raw = blobs[i];
        const expected = info.dims.reduce((a, b) => a * b, 1) * DATA_TYPE_BYTES[info.dataType];
        if (raw.length !== expected) {
          throw new Error(`${info.name}: ${raw.length} bytes, expected ${expected}`);
        }
        if (data && raw.length >= EXTERNAL_MIN_BYTES) {
          const pad = (ALIGN - (dataBytes % ALIGN)) % ALIGN;
          if (pad) await writeAll(data, new Uint8Array(pad));
          const offset = dataBytes + pad;
          await writeAll(data, raw);
          dataBytes = offset + raw.length;
          initializers.push(encodeTensor({
            ...info,
            external: { location: `${basename(path)}_data`, offset, length: raw.length },
          }));
        } else {
          initializers.push(encodeTensor({ ...info, raw: raw.slice() }));
        }
      }
    }
  } finally {
    data?.close();
  }
  const model = encodeModel({
    graphName: "llama",
    nodes: graph.nodes,
    initializers,
    inputs: graph.inputs,
    outputs: graph.outputs,
    opsets: { "": 17, "com.microsoft": 1 },
    irVersion: 8,
    producer: "course-kit-forge",
  });
  await Deno.writeFile(path, model);
  return model.length + dataBytes;
}
