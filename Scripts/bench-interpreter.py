#!/usr/bin/env python3
# Benchmarks qconvert's interpreter against ONNX Runtime (CPU EP) on the four real models: median per-sample latency at
# 2 threads (2 intra-op threads for ORT) and peak RSS of a one-sample run, each in its own process; prints ratios.
# Needs: swift, the real-model cache and its venv python (../shared/real-models/setup.sh). Usage: bench-interpreter.py [--runs N] [--rounds R] [--models M ...]
import argparse, json, os, subprocess, sys, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real"))
QCONVERT = os.path.join(REPO, ".build/release/qconvert")
MODELS = (("yolov8n_320", 1.5), ("ppocrv4_rec", 1.5), ("ppocr_cls", 1.5), ("ppocrv4_det", 2.0))  # latency targets
THREADS = 2

# Runs in a child Python: ORT session with THREADS intra-op threads, `runs` timed runs of one sample (after 3 warm-up
# runs), prints the median in seconds; with runs == 0 it runs the sample once (for peak RSS).
ORT_CHILD = """
import sys, time
import numpy as np, onnxruntime as ort
model, sample, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
options = ort.SessionOptions()
options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
feed = {session.get_inputs()[0].name: np.load(sample)}
session.run(None, feed)
if runs:
    for _ in range(2):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    print(sorted(times)[len(times) // 2])
"""
# The same child without a session: what importing numpy and onnxruntime alone costs in RSS.
ORT_IMPORTS = "import numpy, onnxruntime"


def peak_mb(command):
    """Peak RSS (MB) of one child process running `command`."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit(f"error: {' '.join(command)} failed: {child.stderr.read().decode().strip()}")
    return usage.ru_maxrss / 1024


def ours_median(model, sample, runs, out):
    """Median seconds of `runs` interpreter runs of one sample in one `qconvert run` process."""
    result = subprocess.run([QCONVERT, "run", model, sample, "-o", out, "--threads", str(THREADS),
                             "--repeat", str(runs + 3), "--json"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["median_run_seconds"]


def ort_median(model, sample, runs):
    result = subprocess.run([sys.executable, "-c", ORT_CHILD, model, sample, str(runs), str(THREADS)],
                            capture_output=True, text=True, check=True)
    return float(result.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30, help="timed runs per process (median taken)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating qconvert/ORT processes per model (best median kept)")
    ap.add_argument("--models", nargs="+", choices=[name for name, _ in MODELS], help="a subset of the models")
    a = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "qconvert"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    imports = peak_mb([sys.executable, "-c", ORT_IMPORTS])
    print(f"{THREADS} threads; latency = best over {a.rounds} rounds of the median of {a.runs} runs of calib/0000.npy; "
          f"peak RSS of one load + run (python + numpy + onnxruntime imports alone: {imports:.0f} MB)")
    header = f"{'model':<12} {'qconvert ms':>11} {'ORT ms':>8} {'ratio':>6} {'target':>6}   {'qconvert MB':>11} {'ORT MB':>7} {'ratio':>6}"
    print(header)
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, target in MODELS:
            if a.models and name not in a.models:
                continue
            model = os.path.join(REAL, "models", name + ".onnx")
            sample = os.path.join(REAL, "data", name, "calib", "0000.npy")
            ours, theirs = [], []
            for _ in range(a.rounds):
                ours.append(ours_median(model, sample, a.runs, tmp))
                theirs.append(ort_median(model, sample, a.runs))
            ours_ms, ort_ms = min(ours) * 1000, min(theirs) * 1000
            ours_mb = peak_mb([QCONVERT, "run", model, sample, "-o", tmp, "--threads", str(THREADS)])
            ort_mb = peak_mb([sys.executable, "-c", ORT_CHILD, model, sample, "0", str(THREADS)])
            speed, memory = ours_ms / ort_ms, ours_mb / ort_mb
            met = met and speed <= target and memory <= 2.0
            print(f"{name:<12} {ours_ms:>11.2f} {ort_ms:>8.2f} {speed:>6.2f} {target:>6.1f}   {ours_mb:>11.0f} {ort_mb:>7.0f} {memory:>6.2f}",
                  flush=True)
    print(f"targets (latency ratio <= target, RSS ratio <= 2.0): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
