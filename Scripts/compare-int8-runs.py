#!/usr/bin/env python3
# Runs a QDQ int8 model three ways on the same inputs -- ONNX Runtime with graph optimizations off (Q/DQ executed
# literally), ONNX Runtime with them on (DQ -> op -> Q groups fused into its integer kernels) and qconvert's
# interpreter -- and compares every quantized tensor (each QuantizeLinear output, exposed as a graph output) and
# the model outputs against the first, in quantization steps; lists the layers whose values differ. Twice: end to
# end (differences accumulate along the graph), and layer by layer (the graph cut at every quantized tensor, each
# DequantizeLinear fed the literal run's values, so each layer is compared on identical inputs).
# Needs: python with numpy, onnx, onnxruntime; a built qconvert. Usage:
#   compare-int8-runs.py MODEL.int8.onnx INPUT.npy|DIR ... [--qconvert PATH] [--limit N] [--threads N] [--requantization MODE]
import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Ops whose output is an 8-bit quantized tensor (QDQ's QuantizeLinear, and the integer ops of a QOperator model,
# such as ORT's own fused graph), with the index of the input holding that output's zero point.
QUANTIZING = {"QuantizeLinear": 2, "QLinearConv": 7, "QLinearMatMul": 7, "QLinearAdd": 7, "QLinearMul": 7,
              "QLinearGlobalAveragePool": 4, "QLinearSigmoid": 4, "QLinearLeakyRelu": 4, "QLinearConcat": 1, "QGemm": 8}


def quantizes(node):
    return node.op_type in QUANTIZING and len(node.input) > QUANTIZING[node.op_type] and node.input[QUANTIZING[node.op_type]]


def exposed(model):
    """The model with every quantized tensor added as a graph output; the step of each tensor compared (1 for the
    quantized ones; for a model output made by DequantizeLinear its scale, else None: compared in float)."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    outputs = [o.name for o in model.graph.output]
    steps = {}
    for node in model.graph.node:
        if quantizes(node) or (node.op_type == "QuantizeLinear"):
            if node.output[0] not in outputs:
                model.graph.output.append(onnx.helper.make_empty_tensor_value_info(node.output[0]))
            steps[node.output[0]] = 1.0  # integer tensor: one unit is one step
    for name in outputs:
        node = producers.get(name)
        if node is not None and node.op_type == "DequantizeLinear" and node.input[1] in inits and inits[node.input[1]].size == 1:
            steps[name] = float(inits[node.input[1]])
        elif name not in steps:
            steps[name] = None
    return model, steps, {name: steps[name] for name in outputs if steps[name] != 1.0}


def cut(model, quantized):
    """The model with every reader of a quantized tensor t reading a new graph input "t.feed" instead."""
    inits = {t.name: t for t in model.graph.initializer}
    types = {}
    for node in model.graph.node:
        if node.op_type in QUANTIZING and node.output[0] in quantized:
            zero = node.input[QUANTIZING[node.op_type]] if len(node.input) > QUANTIZING[node.op_type] else ""
            types[node.output[0]] = inits[zero].data_type if zero in inits else onnx.TensorProto.UINT8
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            if name in quantized:
                node.input[k] = name + ".feed"
    for name in quantized:
        model.graph.input.append(onnx.helper.make_tensor_value_info(name + ".feed", types[name], None))
    return model


def samples(paths, inputs, limit):
    """Feeds from .npy files or folders of them (single-input models) or fixture folders (input_k.npy)."""
    feeds = []
    for path in paths:
        if os.path.isdir(path) and os.path.exists(os.path.join(path, "input_0.npy")):
            feeds.append({name: np.load(os.path.join(path, f"input_{k}.npy")) for k, name in enumerate(inputs)})
        else:
            files = sorted(glob.glob(os.path.join(path, "*.npy"))) if os.path.isdir(path) else [path]
            if len(inputs) != 1:
                sys.exit(f"error: {path}: give fixture folders (input_k.npy) for a model with {len(inputs)} inputs")
            feeds += [{inputs[0]: np.load(f)} for f in files]
    return feeds[:limit] if limit else feeds


def ort_run(path, feeds, optimize, threads):
    """Outputs per sample, and the integer ops of ORT's optimized graph (which fusions happened)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads, options.log_severity_level = threads, 3
    options.optimized_model_filepath = path + ".optimized.onnx"
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    fused = collections.Counter(n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node
                                if n.op_type.startswith("QLinear") or n.op_type in ("QGemm", "QAttention", "MatMulIntegerToFloat"))
    return [dict(zip(names, session.run(None, feed))) for feed in feeds], fused


def qconvert_run(qconvert, path, feeds, threads, requantization):
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for index, feed in enumerate(feeds):
            args = [qconvert, "run", path, "-o", os.path.join(scratch, str(index)), "--json", "--threads", str(threads),
                    "--requantization", requantization]
            for name, value in feed.items():
                file = os.path.join(scratch, f"{index}_{len(args)}.npy")
                np.save(file, value)
                args += ["--input", f"{name}={file}"]
            done = subprocess.run(args, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"error: qconvert run: {done.stderr.strip()}")
            results.append({name: np.load(file) for name, file in json.loads(done.stdout)["outputs"].items()})
    return results


def compare(reference, other, steps):
    """Per tensor: (elements, identical, largest difference in steps)."""
    per_tensor = collections.OrderedDict()
    for name, step in steps.items():
        total = same = 0
        worst = 0.0
        for ref, got in zip(reference, other):
            a, b = ref[name].astype(np.float64), got[name].astype(np.float64)
            diff = np.abs(a - b) / (step or 1.0)
            if step is None:  # float output without one scale: identical or not, largest relative difference
                diff = np.abs(a - b) / max(float(np.abs(a).max()), 1e-30)
            total += diff.size
            same += int(np.count_nonzero(a == b))
            worst = max(worst, float(diff.max()) if diff.size else 0.0)
        per_tensor[name] = (total, same, worst)
    return per_tensor


def report(title, per_tensor, outputs):
    quantized = [v for k, v in per_tensor.items() if k not in outputs]
    total, same = sum(v[0] for v in quantized), sum(v[1] for v in quantized)
    worst = max((v[2] for v in quantized), default=0.0)
    differing = [(k, v) for k, v in per_tensor.items() if k not in outputs and v[1] < v[0]]
    print(f"{title}: {total - same} of {total} quantized values differ ({100.0 * same / max(total, 1):.4f}% identical), "
          f"max {worst:g} steps; {len(differing)} of {len(quantized)} tensors differ somewhere")
    for name in outputs:
        t, s, w = per_tensor[name]
        print(f"    output {name}: {100.0 * s / max(t, 1):.3f}% identical, max {w:g} {'steps' if outputs[name] else '(relative)'}")
    for name, (t, s, w) in sorted(differing, key=lambda item: -item[1][2])[:8]:
        print(f"    {name}: {t - s} of {t} values differ, max {w:g} steps")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("data", nargs="+")
    parser.add_argument("--qconvert", default=os.path.join(ROOT, ".build", "debug", "qconvert"))
    parser.add_argument("--limit", type=int, default=0, help="use at most N samples")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requantization", default="float", choices=["float", "fixed-point"],
                        help="how qconvert's integer kernels requantize (QOperator models)")
    args = parser.parse_args()
    model, steps, outputs = exposed(onnx.load(args.model))
    inits = {t.name for t in model.graph.initializer}
    feeds = samples(args.data, [i.name for i in model.graph.input if i.name not in inits], args.limit)
    quantized = [name for name in steps if name not in outputs]
    with tempfile.TemporaryDirectory() as scratch:
        path, cut_path = os.path.join(scratch, "exposed.onnx"), os.path.join(scratch, "cut.onnx")
        onnx.save(model, path)
        onnx.save(cut(model, set(quantized)), cut_path)
        literal, _ = ort_run(path, feeds, False, args.threads)
        cut_feeds = [dict(feed, **{name + ".feed": values[name] for name in quantized}) for feed, values in zip(feeds, literal)]
        for title, run_path, run_feeds in (("end to end", path, feeds), ("layer by layer", cut_path, cut_feeds)):
            optimized, fused = ort_run(run_path, run_feeds, True, args.threads)
            print(f"{os.path.basename(args.model)}, {title}: {len(feeds)} samples, {len(quantized)} quantized tensors; ORT fused "
                  f"them into {', '.join(f'{n} {op}' for op, n in sorted(fused.items())) or 'no integer ops'}")
            report("  ORT fused (optimizations on) vs ORT Q/DQ literal", compare(literal, optimized, steps), outputs)
            report(f"  qconvert interpreter ({args.requantization} requantization) vs ORT Q/DQ literal",
                   compare(literal, qconvert_run(args.qconvert, run_path, run_feeds, args.threads, args.requantization), steps), outputs)


if __name__ == "__main__":
    main()
