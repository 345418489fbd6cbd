/**
 * Encoders for the handful of ONNX protobuf messages a decoder graph needs (field numbers
 * from onnx/onnx.proto): ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto and their small helpers.
 *
 * @module
 */
import { ProtoWriter } from "./_protobuf.ts";

/** ONNX TensorProto.DataType values used by the forge. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;

/** One of the {@link DataType} values. */
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** Bytes per element of each data type. */
export const DATA_TYPE_BYTES: Record<DataTypeId, number> = {
  1: 4,
  2: 1,
  3: 1,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
};

/** Where an initializer's bytes live when they are kept outside the .onnx file. */
export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
}

/** A tensor: inline raw bytes or a reference to an external data file. */
export interface TensorSpec {
  name: string;
  dataType: DataTypeId;
  dims: number[];
  raw?: Uint8Array;
  external?: ExternalLocation;
}

/**
 * Encodes a TensorProto (raw_data inline, or data_location EXTERNAL with location/offset/length).
 *
 * @example
 * ```ts
 * encodeTensor({ name: "w", dataType: DataType.FLOAT, dims: [1], raw: new Uint8Array(4) });
 * ```
 */
export function encodeTensor(t: TensorSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  if (t.external) {
    const entry = (k: string, v: string) => new ProtoWriter().string(1, k).string(2, v).finish();
    w.bytes(13, entry("location", t.external.location));
    w.bytes(13, entry("offset", String(t.external.offset)));
    w.bytes(13, entry("length", String(t.external.length)));
    w.int(14, 1);
  } else {
    w.bytes(9, t.raw ?? new Uint8Array(0));
  }
  return w.finish();
}

/** A node attribute value: int, float, string, ints, floats or tensor. */
export type AttrValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { t: TensorSpec };

function encodeAttribute(name: string, value: AttrValue): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  if ("i" in value) w.int(3, value.i).int(20, 2);
  else if ("f" in value) w.float(2, value.f).int(20, 1);
  else if ("s" in value) w.string(4, value.s).int(20, 3);
  else if ("t" in value) w.bytes(5, encodeTensor(value.t)).int(20, 4);
  else if ("floats" in value) {
    for (const f of value.floats) w.float(7, f);
    w.int(20, 6);
  } else {
    for (const i of value.ints) w.int(8, i);
    w.int(20, 7);
  }
  return w.finish();
}

/** A graph node. */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

/** Encodes a NodeProto. */
export function encodeNode(n: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  if (n.domain) w.string(7, n.domain);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.bytes(5, encodeAttribute(k, v));
  return w.finish();
}

/** A graph input or output: element type and shape (numbers or symbolic dim names). */
export interface ValueSpec {
  name: string;
  dataType: DataTypeId;
  shape: (number | string)[];
}

/** Encodes a ValueInfoProto with a tensor type. */
export function encodeValueInfo(v: ValueSpec): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.bytes(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, v.dataType).bytes(2, shape.finish()).finish();
  const type = new ProtoWriter().bytes(1, tensorType).finish();
  return new ProtoWriter().string(1, v.name).bytes(2, type).finish();
}

/** Everything a ModelProto needs; initializers come already encoded (see {@link encodeTensor}). */
export interface ModelSpec {
  graphName: string;
  nodes: NodeSpec[];
  initializers: Uint8Array[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opsets: Record<string, number>;
  irVersion: number;
  producer: string;
}

/**
 * Encodes a full ModelProto.
 *
 * @example
 * ```ts
 * const bytes = encodeModel({ graphName: "g", nodes: [], initializers: [], inputs: [],
 *   outputs: [], opsets: { "": 17 }, irVersion: 8, producer: "forge" });
 * ```
 */
export function encodeModel(m: ModelSpec): Uint8Array {
  const g = new ProtoWriter();
  for (const n of m.nodes) g.bytes(1, encodeNode(n));
  g.string(2, m.graphName);
  for (const t of m.initializers) g.bytes(5, t);
  for (const i of m.inputs) g.bytes(11, encodeValueInfo(i));
  for (const o of m.outputs) g.bytes(12, encodeValueInfo(o));
  const w = new ProtoWriter().int(1, m.irVersion).string(2, m.producer).string(3, "1");
  for (const [domain, version] of Object.entries(m.opsets)) {
    w.bytes(8, new ProtoWriter().string(1, domain).int(2, version).finish());
  }
  w.bytes(7, g.finish());
  return w.finish();
}
