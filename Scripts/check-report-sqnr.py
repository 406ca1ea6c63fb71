#!/usr/bin/env python3
"""Checks that the output SQNR qconvert's report gives equals what ONNX Runtime measures on the written model.

Quantizes each model with `qconvert MODEL --calib DIR --report x.json`, reads from the report the
held-out samples it measured on, and recomputes the output SQNR on those same samples as
../shared/real-models/evaluate.py --no-opt does: the float model in ORT, the quantized one in ORT with
graph optimizations off (Q/DQ run literally), SQNR = 10 log10(sum y^2 / sum (y - yq)^2) per output
over all samples. Needs numpy and onnxruntime; exit status 1 if any model differs by more than --tolerance dB.

Usage: check-report-sqnr.py --qconvert .build/release/qconvert [--root ~/.cache/qconvert-real]
       [--models ppocr_cls ppocrv4_rec ...] [--tolerance 0.5] [-- EXTRA QCONVERT FLAGS]
"""
import argparse, json, os, subprocess, sys, tempfile

import numpy as np
import onnxruntime as ort


def session(path, optimize):
    options = ort.SessionOptions()
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = 2, 1, 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def sqnr(reference, test):
    reference, test = reference.astype(np.float64).ravel(), test.astype(np.float64).ravel()
    noise = np.sum((reference - test) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(reference ** 2) / noise))


def check(qconvert, root, model, tolerance, extra, scratch):
    float_path = os.path.join(root, "models", model + ".onnx")
    quant_path = os.path.join(scratch, model + ".int8.onnx")
    report_path = os.path.join(scratch, model + ".report.json")
    subprocess.run([qconvert, float_path, "--calib", os.path.join(root, "data", model, "calib"), "-o", quant_path,
                    "--report", report_path, "--quiet"] + extra, check=True, stdout=subprocess.DEVNULL)
    with open(report_path) as f:
        report = json.load(f)
    sources = report["samples"]["sources"]
    reference, literal = session(float_path, True), session(quant_path, False)
    name = reference.get_inputs()[0].name
    feeds = [{name: np.load(path)} for path in sources]
    expected = [reference.run(None, feed) for feed in feeds]
    actual = [literal.run(None, feed) for feed in feeds]
    rows = []
    for k, output in enumerate(reference.get_outputs()):
        ort_db = sqnr(np.concatenate([e[k].ravel() for e in expected]), np.concatenate([a[k].ravel() for a in actual]))
        value = report["output_sqnr"][output.name]
        report_db = float("inf") if value == "inf" else float(value)
        rows.append({"model": model, "output": output.name, "samples": len(sources), "report_db": round(report_db, 3),
                     "ort_no_opt_db": round(ort_db, 3), "difference_db": round(abs(report_db - ort_db), 3),
                     "quantized_nodes": report["quantized_node_count"]})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qconvert", required=True)
    parser.add_argument("--root", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    parser.add_argument("--models", nargs="+", default=["ppocr_cls", "ppocrv4_det", "ppocrv4_rec", "yolov8n_320"])
    parser.add_argument("--tolerance", type=float, default=0.5)
    parser.add_argument("extra", nargs="*", help="flags passed on to qconvert (after --)")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        for model in args.models:
            for row in check(os.path.abspath(args.qconvert), args.root, model, args.tolerance, args.extra, scratch):
                ok = row["difference_db"] <= args.tolerance
                failed |= not ok
                print(json.dumps({**row, "ok": ok}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
