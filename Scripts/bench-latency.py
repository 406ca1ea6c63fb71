#!/usr/bin/env python3
# ONNX Runtime latency of the float model and of the models `Scripts/bench.py --keep DIR` emitted, measured
# in alternating fresh processes, so that a slow period of the machine falls on all of them alike.
# Needs: the real-model cache (../shared/real-models/setup.sh), whose venv's python (with ONNX Runtime) runs the timings.
# Usage: bench-latency.py DIR [--models NAME ...] [--rounds 3] [--runs 24] [--real DIR]
"""Median ORT latency (2 threads, CPU) of each real model as float, as qconvert emitted it and as ORT's
quantize_static emitted it. Each round runs every variant once, each in its own process (3 warm-up
runs, then the median of --runs runs on the first eval sample), the order rotating from round to
round; a variant's figure is the median of its --rounds round medians. Ratios are ORT / qconvert:
above 1 means qconvert's model is faster.
"""
import argparse, json, os, statistics, subprocess, sys

MODELS = ["ppocr_cls", "ppocrv4_rec", "yolov8n_320", "ppocrv4_det"]

# One variant's median latency in ms, printed as JSON by a fresh interpreter.
MEASURE = """
import glob, json, sys, time, numpy as np, onnxruntime as ort
model, data, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
so = ort.SessionOptions(); so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level = 2, 1, 3
s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
feed = {s.get_inputs()[0].name: np.load(sorted(glob.glob(data + "/*.npy"))[0])}
for _ in range(3): s.run(None, feed)
ts = []
for _ in range(runs):
    t = time.perf_counter(); s.run(None, feed); ts.append(time.perf_counter() - t)
print(json.dumps(1000 * float(np.median(ts))))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="where bench.py --keep wrote NAME.qconvert.onnx and NAME.ort.onnx")
    ap.add_argument("--models", nargs="*", choices=MODELS, default=MODELS)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    a = ap.parse_args()
    print(f"{'model':12s}  {'qconvert':>9s}  {'ORT':>9s}  {'float':>9s}  ORT/qconvert")
    for name in a.models:
        variants = {"qconvert": os.path.join(a.dir, name + ".qconvert.onnx"), "ort": os.path.join(a.dir, name + ".ort.onnx"),
                    "float": os.path.join(a.real, "models", name + ".onnx")}
        for path in variants.values():
            if not os.path.isfile(path):
                sys.exit(f"error: {path}: no such model (run Scripts/bench.py --keep {a.dir} first)")
        data = os.path.join(a.real, "data", name, "eval")
        python = os.path.join(a.real, "venv", "bin", "python")
        medians = {k: [] for k in variants}
        order = list(variants.items())
        for r in range(a.rounds):
            # Each round starts with the next variant, so whichever runs first after a model change
            # (or a slow spell's start) is not always the same one.
            for key, path in order[r % len(order):] + order[:r % len(order)]:
                out = subprocess.run([python, "-c", MEASURE, path, data, str(a.runs)], check=True, capture_output=True, text=True)
                medians[key].append(json.loads(out.stdout))
        m = {k: statistics.median(v) for k, v in medians.items()}
        print(f"{name:12s}  {m['qconvert']:9.2f}  {m['ort']:9.2f}  {m['float']:9.2f}  {m['ort'] / m['qconvert']:.2f}", flush=True)


if __name__ == "__main__":
    main()
