#!/usr/bin/env python3
# Compares qconvert's integer kernels (via `qconvert run`) with onnx.reference.ReferenceEvaluator (default-domain
# ops; it has no com.microsoft ops) and with ONNX Runtime (each case's stored output, optimizations off) on the
# integer op cases in Fixtures/ops; prints per case and per op the % of identical elements and the largest
# difference in quantization steps (integer units of the output); per op also without the *_ties cases, built
# so that half their elements are exact ties, which the reference rounds after adding the zero point (ORT and
# the ONNX spec before).
# Needs: python with numpy, onnx; a built qconvert. Usage: check-int-kernels.py [--qconvert PATH] [--requantization MODE]
import argparse
import collections
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTEGER_OPS = {"QGemm", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "DynamicQuantizeLinear", "QLinearAdd",
               "QLinearMul", "QLinearConcat", "QLinearGlobalAveragePool", "QLinearSigmoid", "QLinearLeakyRelu"}


def run_qconvert(qconvert, folder, model, mode, scratch):
    names = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    args = [qconvert, "run", os.path.join(folder, "model.onnx"), "-o", scratch, "--threads", "1", "--requantization", mode]
    feeds = {}
    for k, name in enumerate(names):
        path = os.path.join(folder, f"input_{k}.npy")
        feeds[name] = np.load(path)
        args += ["--input", f"{name}={path}"]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    outputs = [np.load(os.path.join(scratch, f"{o.name}.npy")) for o in model.graph.output]
    return feeds, outputs


def compare(ours, theirs):
    """(elements, identical elements, largest |difference|) over all outputs."""
    total = same = 0
    worst = 0.0
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise RuntimeError(f"shape {a.shape} vs {b.shape}")
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        total += diff.size
        same += int(np.count_nonzero(diff == 0))
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
    return total, same, worst


def figures(count):
    total, same, worst = count
    return f"{100.0 * same / max(total, 1):8.3f}% {worst:6g}" if total else f"{'-':>9} {'-':>6}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qconvert", default=os.path.join(ROOT, ".build", "debug", "qconvert"))
    parser.add_argument("--requantization", default="float", choices=["float", "fixed-point"])
    args = parser.parse_args()
    per_op = collections.defaultdict(lambda: {"reference": [0, 0, 0.0], "ort": [0, 0, 0.0]})
    untied = collections.defaultdict(lambda: {"reference": [0, 0, 0.0], "ort": [0, 0, 0.0]})
    print(f"{'case':48} {'vs reference':>16} {'vs ONNX Runtime':>16}")
    failures = 0
    for folder in sorted(glob.glob(os.path.join(ROOT, "Fixtures", "ops", "*"))):
        model = onnx.load(os.path.join(folder, "model.onnx"))
        ops = {n.op_type for n in model.graph.node}
        if not ops & INTEGER_OPS:
            continue
        op = sorted(ops & INTEGER_OPS)[0]
        with tempfile.TemporaryDirectory() as scratch:
            try:
                feeds, ours = run_qconvert(args.qconvert, folder, model, args.requantization, scratch)
            except RuntimeError as error:
                print(f"{os.path.basename(folder):48} qconvert failed: {error}")
                failures += 1
                continue
        ort = [np.load(os.path.join(folder, f"output_{k}.npy")) for k in range(len(ours))]
        counts = {"ort": compare(ours, ort), "reference": (0, 0, 0.0)}
        note = ""
        if all(n.domain in ("", "ai.onnx") for n in model.graph.node):
            try:
                counts["reference"] = compare(ours, ReferenceEvaluator(model).run(None, feeds))
            except ValueError as error:  # the reference's own limits (per-channel scales of non-2-D convolutions)
                note = f"  (reference fails: {str(error).splitlines()[0][:60]})"
        for totals in (per_op, untied) if "_ties" not in os.path.basename(folder) else (per_op,):
            for source, count in counts.items():
                total = totals[op][source]
                total[0] += count[0]
                total[1] += count[1]
                total[2] = max(total[2], count[2])
        print(f"{os.path.basename(folder):48} {figures(counts['reference']):>16} {figures(counts['ort']):>16}{note}")
    for title, totals in (("op (all its cases)", per_op), ("op (without the *_ties cases)", untied)):
        print(f"\n{title:48} {'vs reference':>16} {'vs ONNX Runtime':>16}   (% identical, max steps)")
        for op in sorted(totals):
            print(f"{op:48} {figures(totals[op]['reference']):>16} {figures(totals[op]['ort']):>16}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
