#!/usr/bin/env python3
# ONNX Runtime latency of the float model and of the models `Scripts/bench.py --keep DIR` emitted, measured
# side by side in one process, in short interleaved blocks, so that a slow period of the machine falls on all alike.
# Needs: the real-model cache (../shared/real-models/setup.sh), whose venv's python (with ONNX Runtime) runs the timings.
# Usage: bench-latency.py DIR [--models NAME ...] [--rounds 30] [--runs 5] [--real DIR]
"""Median ORT latency (2 threads, CPU) of each real model as float, as qconvert emitted it and as ORT's
quantize_static emitted it. One process per model loads the three variants; each round runs every
variant for a block of --runs runs on the first eval sample (after 3 warm-up runs each at the start),
the order rotating from round to round, and keeps each block's median. The machine has quick and
slow spells that change a model's latency up to 2x within seconds: a block of each variant, taken
back to back, falls in the same spell, so the ratio ORT / qconvert is taken round by round and its
median printed (above 1 means qconvert's model is faster), with the share of rounds qconvert won.
"""
import argparse, json, os, statistics, subprocess, sys

MODELS = ["ppocr_cls", "ppocrv4_rec", "yolov8n_320", "ppocrv4_det"]

# Every variant's block medians in ms, round by round, printed as JSON by a fresh interpreter.
MEASURE = """
import glob, json, sys, time, numpy as np, onnxruntime as ort
data, rounds, runs, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
x = np.load(sorted(glob.glob(data + "/*.npy"))[0])
sessions = {}
for key, path in paths.items():
    so = ort.SessionOptions(); so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level = 2, 1, 3
    sessions[key] = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
feeds = {key: {s.get_inputs()[0].name: x} for key, s in sessions.items()}
for key, s in sessions.items():
    for _ in range(3): s.run(None, feeds[key])
keys, medians = list(paths), {key: [] for key in paths}
for r in range(rounds):
    for key in keys[r % len(keys):] + keys[:r % len(keys)]:
        s, feed, ts = sessions[key], feeds[key], []
        for _ in range(runs):
            t = time.perf_counter(); s.run(None, feed); ts.append(time.perf_counter() - t)
        medians[key].append(1000 * float(np.median(ts)))
print(json.dumps(medians))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="where bench.py --keep wrote NAME.qconvert.onnx and NAME.ort.onnx")
    ap.add_argument("--models", nargs="*", choices=MODELS, default=MODELS)
    ap.add_argument("--rounds", type=int, default=30, help="interleaved rounds (each variant one block per round)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs in a block (its median is kept)")
    ap.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    a = ap.parse_args()
    print(f"{'model':12s}  {'qconvert':>9s}  {'ORT':>9s}  {'float':>9s}  ORT/qconvert  qconvert faster")
    for name in a.models:
        variants = {"qconvert": os.path.join(a.dir, name + ".qconvert.onnx"), "ort": os.path.join(a.dir, name + ".ort.onnx"),
                    "float": os.path.join(a.real, "models", name + ".onnx")}
        for path in variants.values():
            if not os.path.isfile(path):
                sys.exit(f"error: {path}: no such model (run Scripts/bench.py --keep {a.dir} first)")
        data = os.path.join(a.real, "data", name, "eval")
        python = os.path.join(a.real, "venv", "bin", "python")
        out = subprocess.run([python, "-c", MEASURE, data, str(a.rounds), str(a.runs), json.dumps(variants)],
                             check=True, capture_output=True, text=True)
        blocks = json.loads(out.stdout)
        m = {k: statistics.median(v) for k, v in blocks.items()}
        ratios = [o / q for o, q in zip(blocks["ort"], blocks["qconvert"])]
        won = sum(r > 1 for r in ratios)
        print(f"{name:12s}  {m['qconvert']:9.2f}  {m['ort']:9.2f}  {m['float']:9.2f}  {statistics.median(ratios):12.2f}"
              f"  {won}/{len(ratios)} rounds", flush=True)


if __name__ == "__main__":
    main()
