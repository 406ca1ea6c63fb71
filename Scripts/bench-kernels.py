#!/usr/bin/env python3
# Times qconvert's Conv/ConvTranspose/MatMul kernels against ONNX Runtime on single-op models with the layer shapes
# of the real models (heaviest layers by FLOPs, found with onnx shape inference), both at 2 threads; prints ratios.
# Needs: the real-model cache (../shared/real-models/setup.sh), its venv python, a release build (swift build -c release).
# Usage: bench-kernels.py [--models M ...] [--ops Conv ...] [--top N] [--rounds R]; also prints each layer's error vs ORT.
import argparse
import collections
import glob
import json
import os
import re
import statistics
import subprocess
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper, shape_inference

ROOT = os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real"))
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool",
       "Resize", "Pad", "LSTM", "GRU")


def runtime_shapes(model, sample, names):
    """Shapes of values `names` when ONNX Runtime runs the model on `sample` (where shape inference gives up)."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    probe.graph.output.extend(helper.make_empty_tensor_value_info(name) for name in names)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    values = session.run(names, {model.graph.input[0].name: sample})
    return {name: list(value.shape) for name, value in zip(names, values)}


def layers(model_name):
    """(op, attributes, inputs, opset, work) of every op of OPS in the model, at the sample's size. inputs: per input,
    ("", None) when omitted, ("runtime", shape) or ("constant", the model's value). work: FLOPs, or outputs for ops
    without multiply-adds, for ranking."""
    model = onnx.load(os.path.join(ROOT, "models", model_name + ".onnx"))
    sample = np.load(sorted(glob.glob(os.path.join(ROOT, "data", model_name, "calib", "*.npy")))[0])
    for axis, dim in enumerate(model.graph.input[0].type.tensor_type.shape.dim):
        dim.ClearField("dim_param")
        dim.dim_value = sample.shape[axis]
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    model = shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output)}
    shapes = {name: shape for name, shape in shapes.items() if shape and 0 not in shape}
    constants = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    chosen = [n for n in model.graph.node if n.op_type in OPS]
    unknown = sorted({name for n in chosen for name in list(n.input) + [n.output[0]]
                      if name and name not in shapes and name not in constants})
    if unknown:
        shapes.update(runtime_shapes(model, sample, unknown))
    found = []
    for node in chosen:
        inputs = [("", None) if not name else ("constant", constants[name]) if name in constants else ("runtime", shapes.get(name))
                  for name in node.input]
        out = shapes.get(node.output[0])
        if any(kind == "runtime" and value is None for kind, value in inputs) or not out:
            continue
        first = inputs[0][1] if inputs[0][0] == "runtime" else inputs[0][1].shape
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            work = 2 * np.prod(out) * np.prod(inputs[1][1].shape[1:])
        elif node.op_type == "ConvTranspose":
            work = 2 * np.prod(first) * np.prod(inputs[1][1].shape[1:])
        elif node.op_type in ("MatMul", "Gemm"):
            work = 2 * np.prod(out) * first[-1]
        else:
            work = np.prod(out)
        found.append((node.op_type, attributes, inputs, opset, int(work)))
    return found


def single_op_model(op, attributes, inputs, opset, path):
    """A one-node model: runtime inputs get random values (returned as feeds), constants their model values."""
    rng = np.random.default_rng(0)
    names, feeds, graph_inputs, initializers = [], {}, [], []
    for k, (kind, value) in enumerate(inputs):
        name = f"in{k}" if kind else ""
        names.append(name)
        if kind == "constant":
            initializers.append(numpy_helper.from_array(value, name))
        elif kind == "runtime":
            graph_inputs.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, value))
            feeds[name] = (rng.standard_normal(value) * 0.1).astype(np.float32)
    node = helper.make_node(op, names, ["y"], **attributes)
    graph = helper.make_graph([node], "bench", graph_inputs, [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, path)
    return feeds


def ort_median(path, feeds, repeats):
    """Best median over ORT's graph optimisation levels (extended; all, which adds the NCHWc layout)."""
    best = None
    for level in (ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        options.graph_optimization_level = level
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        session.run(None, feeds)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            session.run(None, feeds)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        best = median if best is None else min(best, median)
    return best


def ours_median(binary, path, feeds, repeats, folder):
    """Median of qconvert's own run timings, over enough runs to last 0.5 s, so that start-up effects (first
    touches of memory, thread creation) stay out of the median."""
    inputs = []
    for name, value in feeds.items():
        np.save(os.path.join(folder, name + ".npy"), value)
        inputs += ["--input", f"{name}={os.path.join(folder, name + '.npy')}"]

    def timed(count):
        args = [binary, "run", path, "--threads", "2", "--time", "--repeat", str(count), "-o", folder] + inputs
        result = subprocess.run(args, capture_output=True, text=True)
        if result.returncode != 0:
            print("  qconvert failed:", result.stderr.strip()[:300])
            return None
        return float(re.search(r"median run: ([0-9.]+) ms", result.stderr).group(1)) / 1000

    probe = timed(3)
    return None if probe is None else timed(max(repeats, int(0.5 / max(probe, 1e-5))))


def relative_error(path, feeds, folder):
    """max |ours - ORT| / max |ORT| over the layer's output (ours from the last qconvert run)."""
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, feeds)[0]
    actual = np.load(os.path.join(folder, "y.npy"))
    return float(np.abs(actual - expected).max() / max(np.abs(expected).max(), 1e-30))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="*", default=["yolov8n_320", "ppocrv4_det", "ppocrv4_rec", "ppocr_cls"])
    parser.add_argument("--top", type=int, default=10, help="heaviest distinct layers per model")
    parser.add_argument("--ops", nargs="*", default=["Conv", "ConvTranspose", "MatMul", "Gemm"], help=f"op types to time, of {OPS}")
    parser.add_argument("--repeats", type=int, default=20, help="runs per timing; the median is taken")
    parser.add_argument("--rounds", type=int, default=3,
                        help="timings per side, alternating ours and ORT; the best is kept (other load on the machine only slows)")
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "release", "qconvert"))
    parser.add_argument("--ort-cache", help="JSON file remembering ORT's timings between runs of this script")
    args = parser.parse_args()
    cache = json.load(open(args.ort_cache)) if args.ort_cache and os.path.exists(args.ort_cache) else {}
    grand = [0.0, 0.0]
    with tempfile.TemporaryDirectory() as folder:
        for model_name in args.models:
            groups = collections.OrderedDict()
            for op, attributes, inputs, opset, work in layers(model_name):
                if op not in args.ops:
                    continue
                described = [(kind, value.shape if kind == "constant" and value.size > 4 else
                              value.tolist() if kind == "constant" else value) for kind, value in inputs]
                key = repr((op, sorted(attributes.items()), described))
                groups.setdefault(key, [op, attributes, inputs, opset, work, 0, described])[5] += 1
            heaviest = sorted(groups.items(), key=lambda g: -g[1][4] * g[1][5])[:args.top]
            if not heaviest:
                continue
            print(f"\n{model_name}: {len(heaviest)} heaviest distinct layers (x count), ms at 2 threads")
            total = [0.0, 0.0]
            for key, (op, attributes, inputs, opset, work, count, described) in heaviest:
                path = os.path.join(folder, "layer.onnx")
                feeds = single_op_model(op, attributes, inputs, opset, path)
                shapes = [value if kind == "runtime" else list(value) if isinstance(value, tuple) else value for kind, value in described if kind]
                ours_runs, ort_runs = [], []
                for _ in range(args.rounds):
                    ours_runs.append(ours_median(args.binary, path, feeds, args.repeats, folder))
                    if ours_runs[-1] is None:
                        break
                    if key not in cache:
                        ort_runs.append(ort_median(path, feeds, args.repeats))
                if ours_runs[-1] is None:
                    continue
                cache.setdefault(key, min(ort_runs or [float("inf")]))
                theirs, ours = cache[key], min(ours_runs)
                error = relative_error(path, feeds, folder)
                total[0] += ours * count
                total[1] += theirs * count
                extra = {k: v for k, v in attributes.items() if k in ("strides", "group", "pads", "dilations") and v not in (1, [1, 1], [0, 0, 0, 0])}
                print(f"  {op:13} {str(shapes):46} {str(extra):38} x{count}  ours {ours * 1e3:7.3f}  ort {theirs * 1e3:7.3f}  ratio {ours / theirs:5.2f}  err {error:.1e}")
            print(f"  total (weighted by count): ours {total[0] * 1e3:.2f} ms, ort {total[1] * 1e3:.2f} ms, ratio {total[0] / total[1]:.2f}")
            grand[0] += total[0]
            grand[1] += total[1]
    if args.ort_cache:
        json.dump(cache, open(args.ort_cache, "w"))
    print(f"\nall models: ours {grand[0] * 1e3:.2f} ms, ort {grand[1] * 1e3:.2f} ms, ratio {grand[0] / grand[1]:.2f}")


if __name__ == "__main__":
    main()
