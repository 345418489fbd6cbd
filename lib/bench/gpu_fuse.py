"""Rewrites a forge ONNX decoder for the GPU benchmark's levers (fewer, larger ops).

  python3 lib/bench/gpu_fuse.py SRC.onnx DST.onnx [--rmsnorm] [--q4-accuracy N]

--rmsnorm: each RMSNorm the forge writes as 7 nodes (Mul x·x, ReduceMean, Add eps, Sqrt,
Reciprocal, Mul, Mul weight) becomes one SimplifiedLayerNormalization (onnxruntime's fused
RMSNorm, implemented by its WebGPU provider). --q4-accuracy N: sets MatMulNBits'
accuracy_level (the forge writes 0: fp32 arithmetic; 4 lets the kernel use int8 dot products).
Prints one JSON line with what changed.
"""
import json
import sys

import onnx
from onnx import helper, numpy_helper


def fuse_rmsnorm(g):
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    inits = {t.name: t for t in g.initializer}

    def only(name, op):
        c = consumers.get(name, [])
        return c[0] if len(c) == 1 and c[0].op_type == op else None

    replace, drop = {}, set()
    for mean in g.node:
        if mean.op_type != "ReduceMean":
            continue
        sq = producer.get(mean.input[0])
        if sq is None or sq.op_type != "Mul" or sq.input[0] != sq.input[1]:
            continue
        x = sq.input[0]
        add = only(mean.output[0], "Add")
        sqrt = add and only(add.output[0], "Sqrt")
        rec = sqrt and only(sqrt.output[0], "Reciprocal")
        mul = rec and only(rec.output[0], "Mul")
        scale = mul and only(mul.output[0], "Mul")
        if not scale or x not in mul.input:
            continue
        eps_name = add.input[1] if add.input[0] == mean.output[0] else add.input[0]
        w = scale.input[1] if scale.input[0] == mul.output[0] else scale.input[0]
        if eps_name not in inits:
            continue
        eps = float(numpy_helper.to_array(inits[eps_name]).reshape(-1)[0])
        fused = helper.make_node("SimplifiedLayerNormalization", [x, w], [scale.output[0]],
                                 name=scale.name + "_fused", axis=-1, epsilon=eps, stash_type=1)
        replace[id(scale)] = fused
        drop.update(id(n) for n in (sq, mean, add, sqrt, rec, mul))
    nodes = [replace.get(id(n), n) for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(nodes)
    return len(replace)


def main():
    src, dst, *flags = sys.argv[1:]
    m = onnx.load(src)
    before = len(m.graph.node)
    report = {"nodesBefore": before}
    if "--rmsnorm" in flags:
        report["rmsnormFused"] = fuse_rmsnorm(m.graph)
    if "--q4-accuracy" in flags:
        level = int(flags[flags.index("--q4-accuracy") + 1])
        n = 0
        for node in m.graph.node:
            if node.op_type == "MatMulNBits":
                for a in node.attribute:
                    if a.name == "accuracy_level":
                        a.i = level
                        n += 1
        report["matMulNBitsChanged"] = n
    report["nodesAfter"] = len(m.graph.node)
    onnx.save(m, dst)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
