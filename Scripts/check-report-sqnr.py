#!/usr/bin/env python3
"""Checks that the output SQNR qconvert's report gives equals what ONNX Runtime measures on the written model.

Quantizes each model with `qconvert MODEL --calib DIR --report x.json`, reads from the report the
held-out samples it measured on, and recomputes the output SQNR on those same samples as
../shared/real-models/evaluate.py --no-opt does: the float model in ORT, the quantized one in ORT with
graph optimizations off (Q/DQ run literally), SQNR = 10 log10(sum y^2 / sum (y - yq)^2) per output
over all samples. With --evaluate, also on evaluate.py's own inputs: `qconvert compare` on the written
model over every file of data/MODEL/eval against `evaluate.py MODEL QUANT --no-opt` itself, and those
rows decide (the held-out ones are then printed for information, "gate": false): the held-out
samples are few (8), and on a model like ppocrv4_rec, where one-step rounding differences compound,
two faithful executions of the same file differ by more than the tolerance on so few (ONNX Runtime's
fused and literal runs: 22.6 against 21.3 dB on its 8 held-out samples; qconvert's report 21.9).
Needs numpy and onnxruntime; exit status 1 if any deciding row differs by more than --tolerance dB.

Usage: check-report-sqnr.py --qconvert .build/release/qconvert [--root ~/.cache/qconvert-real]
       [--models ppocr_cls ppocrv4_rec ...] [--tolerance 0.5] [--out DIR] [--evaluate EVALUATE.py]
       [--from DIR] [-- EXTRA QCONVERT FLAGS]
--out keeps the quantized models and reports (default: a temporary folder); --from takes them from a
folder where crosscheck.py --keep left them.
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


def report_db(report, output):
    value = report["output_sqnr"][output]
    return float("inf") if value == "inf" else float(value)


def check_evaluate(qconvert, root, model, evaluate, quant_path, scratch):
    """`compare` on every eval file against evaluate.py --no-opt on the same file and inputs."""
    eval_dir = os.path.join(root, "data", model, "eval")
    count = len([f for f in os.listdir(eval_dir) if f.endswith(".npy")])
    report_path = os.path.join(scratch, model + ".eval-report.json")
    subprocess.run([qconvert, "compare", os.path.join(root, "models", model + ".onnx"), quant_path, "--data", eval_dir,
                    "--samples", str(count), "--local-samples", "0", "--report", report_path], check=True, stdout=subprocess.DEVNULL)
    with open(report_path) as f:
        report = json.load(f)
    # evaluate.py needs the packages of the real-model cache's own venv (OpenCV among them).
    python = os.path.join(root, "venv", "bin", "python")
    measured = json.loads(subprocess.run([python, evaluate, model, quant_path, "--root", root, "--no-opt"], check=True,
                                         capture_output=True, text=True).stdout)
    return [{"model": model, "output": output, "inputs": "eval", "samples": report["samples"]["count"],
             "compare_db": round(report_db(report, output), 3), "evaluate_no_opt_db": round(db, 3),
             "difference_db": round(abs(report_db(report, output) - db), 3)} for output, db in measured["sqnr_db"].items()]


def check(qconvert, root, model, extra, scratch, source):
    """`source`: a folder holding the model already quantized with its report (NAME.int8.onnx,
    NAME.report.json), else None and it is quantized here."""
    float_path = os.path.join(root, "models", model + ".onnx")
    quant_path = os.path.join(source or scratch, model + ".int8.onnx")
    report_path = os.path.join(source or scratch, model + ".report.json")
    if not source:
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
        db = report_db(report, output.name)
        rows.append({"model": model, "output": output.name, "inputs": "held out", "samples": len(sources), "report_db": round(db, 3),
                     "ort_no_opt_db": round(ort_db, 3), "difference_db": round(abs(db - ort_db), 3),
                     "quantized_nodes": report["quantized_node_count"]})
    return rows, quant_path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qconvert", required=True)
    parser.add_argument("--root", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    parser.add_argument("--models", nargs="+", default=["ppocr_cls", "ppocrv4_det", "ppocrv4_rec", "yolov8n_320"])
    parser.add_argument("--tolerance", type=float, default=0.5)
    parser.add_argument("--out", help="keep the quantized models and reports here")
    parser.add_argument("--evaluate", help="path of ../shared/real-models/evaluate.py: also check on its eval inputs")
    parser.add_argument("--from", dest="source", help="take each model's default quantized output and report from here "
                                                       "(NAME.int8.onnx, NAME.report.json, as crosscheck.py --keep writes them)")
    parser.add_argument("extra", nargs="*", help="flags passed on to qconvert (after --)")
    args = parser.parse_args()
    if args.source and args.extra:
        parser.error("--from takes models quantized with the default flags; it cannot apply extra flags")
    failed = False
    qconvert = os.path.abspath(args.qconvert)
    with tempfile.TemporaryDirectory() as temporary:
        scratch = args.out or temporary
        os.makedirs(scratch, exist_ok=True)
        for model in args.models:
            rows, quant_path = check(qconvert, args.root, model, args.extra, scratch, args.source)
            if args.evaluate:
                rows += check_evaluate(qconvert, args.root, model, args.evaluate, quant_path, scratch)
            for row in rows:
                ok, gate = row["difference_db"] <= args.tolerance, not args.evaluate or row["inputs"] == "eval"
                failed |= gate and not ok
                print(json.dumps({**row, "ok": ok, "gate": gate}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
