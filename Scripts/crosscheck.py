#!/usr/bin/env python3
# Quantizes every fixture model and the four real models with the release qconvert, runs float and quantized
# models in ONNX Runtime, and fails when an output SQNR or a task metric falls below Scripts/crosscheck-floors.json.
# Needs: python with numpy + onnxruntime; the real-model cache (../shared/real-models/setup.sh) with its venv.
# Usage: crosscheck.py --qconvert .build/release/qconvert [--real DIR] [--shared DIR] [--only NAME ...] [--record-floors]
"""Cross-checks qconvert's output in ONNX Runtime against committed floors.

Fixtures: quantized with their own calibration folder; SQNR per output over those samples, float model vs
quantized model, both in ORT (graph optimizations on, as deployed). Real models: quantized with their
calib/ samples, scored by ../shared/real-models/evaluate.py on the held-apart eval/ samples (SQNR per
output and the model's task metric). One real model is also quantized twice with --threads 2 and once
with --threads 1: the three files must be byte-identical. Each real model's statistics from
`calibrate` must quantize it again through --load-stats.

--record-floors rewrites the floors file from this run: measured SQNR minus 1 dB, task metrics minus 2
points (percentages), 1 dB (SQNRs) or 0.02 (fractions). Review the diff before committing it.
"""
import argparse, glob, json, os, subprocess, sys, tempfile, time

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FLOORS = os.path.join(HERE, "crosscheck-floors.json")
REAL_MODELS = ["ppocr_cls", "ppocrv4_rec", "yolov8n_320", "ppocrv4_det"]
DETERMINISM_MODEL = "ppocrv4_det"   # the most of the pipeline: equalization, GPTQ, both searches, shift folding
SQNR_MARGIN_DB = 1.0


def task_margin(key):
    """2 points for a percentage, 1 dB for an SQNR, 0.02 for a fraction in [0, 1] (F1, IoU)."""
    return 2.0 if key.endswith("_pct") else SQNR_MARGIN_DB if key.endswith("_db") else 0.02


def quantize(qconvert, model, calib, out, *extra):
    """The summary qconvert prints on stdout is not needed here; its errors (stderr) pass through."""
    subprocess.run([qconvert, model, "--calib", calib, "-o", out, "--quiet", *extra], check=True, stdout=subprocess.DEVNULL)


def sqnr_db(ref, test):
    ref, test = np.asarray(ref, np.float64).ravel(), np.asarray(test, np.float64).ravel()
    noise = np.sum((ref - test) ** 2)
    return float("inf") if noise == 0 else round(float(10 * np.log10(np.sum(ref ** 2) / noise)), 2)


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level = 2, 1, 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def calibration_feeds(folder, input_names):
    """The fixture's calib/ samples as ORT feeds: NNNN.npy for one input, NNNN.npz keyed by input name."""
    feeds = []
    for path in sorted(glob.glob(os.path.join(folder, "*.np[yz]"))):
        if path.endswith(".npz"):
            with np.load(path) as z:
                feeds.append({name: z[name] for name in input_names})
        else:
            feeds.append({input_names[0]: np.load(path)})
    return feeds


def check_fixture(qconvert, case, scratch):
    """Output SQNR per output of the quantized fixture against its float model, over its calib samples."""
    folder = os.path.join(ROOT, "Fixtures", "models", case)
    out = os.path.join(scratch, case + ".int8.onnx")
    quantize(qconvert, os.path.join(folder, "model.onnx"), os.path.join(folder, "calib"), out)
    sf, sq = session(os.path.join(folder, "model.onnx")), session(out)
    feeds = calibration_feeds(os.path.join(folder, "calib"), [i.name for i in sf.get_inputs()])
    F, Q = [sf.run(None, f) for f in feeds], [sq.run(None, f) for f in feeds]
    return {"sqnr_db": {o.name: sqnr_db(np.concatenate([x[k].ravel() for x in F]), np.concatenate([x[k].ravel() for x in Q]))
                        for k, o in enumerate(sf.get_outputs())}}


def check_real(qconvert, name, real, evaluate, scratch):
    """evaluate.py's SQNR per output and task metrics for the model quantized from its calib/ samples
    (written with its report, NAME.int8.onnx and NAME.report.json, which --keep keeps for the other
    checks; at 2 threads, the first of the determinism runs)."""
    out = os.path.join(scratch, name + ".int8.onnx")
    quantize(qconvert, os.path.join(real, "models", name + ".onnx"), os.path.join(real, "data", name, "calib"), out,
             "--report", os.path.join(scratch, name + ".report.json"), "--threads", "2")
    python = os.path.join(real, "venv", "bin", "python")
    res = json.loads(subprocess.run([python, evaluate, name, out, "--root", real], check=True, capture_output=True, text=True).stdout)
    # Counts (detections found) are context, not metrics with a floor.
    return {"sqnr_db": res["sqnr_db"], "task": {k: v for k, v in res["task"].items() if isinstance(v, float)}}


def check_determinism(qconvert, real, scratch):
    """Same model, data and flags give the same bytes, whatever the thread count: check_real's run at
    2 threads, then another at 2 and one at 1."""
    model = os.path.join(real, "models", DETERMINISM_MODEL + ".onnx")
    calib = os.path.join(real, "data", DETERMINISM_MODEL, "calib")
    runs = [("threads 2", None), ("threads 2 again", ["--threads", "2"]), ("threads 1", ["--threads", "1"])]
    files = [os.path.join(scratch, DETERMINISM_MODEL + ".int8.onnx")]
    for k, (_, flags) in enumerate(runs[1:]):
        files.append(os.path.join(scratch, f"determinism-{k}.onnx"))
        quantize(qconvert, model, calib, files[-1], *flags)
    first = open(files[0], "rb").read()
    return [f"{DETERMINISM_MODEL}: {label} differs from threads 2" for (label, _), f in zip(runs[1:], files[1:]) if open(f, "rb").read() != first]


def check_statistics_files(qconvert, real, scratch):
    """Statistics saved by `calibrate` quantize the same model in another run (--load-stats), as a
    sharded calibration relies on; each real model, on 8 samples."""
    problems = []
    for name in REAL_MODELS:
        model, stats = os.path.join(real, "models", name + ".onnx"), os.path.join(scratch, name + ".stats.json")
        steps = [["calibrate", model, "--calib", os.path.join(real, "data", name, "calib"), "--samples", "8", "--quiet", "-o", stats],
                 [model, "--load-stats", stats, "--quiet", "-o", os.path.join(scratch, name + ".from-stats.onnx")]]
        for step in steps:
            r = subprocess.run([qconvert] + step, capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"{name}: {' '.join(step[:1])} failed: {r.stderr.strip()}")
                break
    return problems


def below_floor(name, measured, floor):
    """One line per metric under its floor (a metric the floors name but this run lacks counts as under)."""
    problems = []
    for group in ("sqnr_db", "task"):
        for key, minimum in floor.get(group, {}).items():
            value = measured.get(group, {}).get(key)
            if value is None or not value >= minimum:
                problems.append(f"{name}: {group} {key} = {value}, floor {minimum}")
    return problems


def floors_from(measured):
    floors = {}
    for name, m in measured.items():
        floors[name] = {"sqnr_db": {k: round(v - SQNR_MARGIN_DB, 2) for k, v in m["sqnr_db"].items() if v != float("inf")}}
        if m.get("task"):
            floors[name]["task"] = {k: round(v - task_margin(k), 4) for k, v in m["task"].items()}
    return floors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qconvert", default=os.path.join(ROOT, ".build", "release", "qconvert"))
    ap.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    ap.add_argument("--shared", default=os.environ.get("QCONVERT_SHARED", os.path.join(ROOT, "..", "shared")))
    ap.add_argument("--only", nargs="*", help="check only these fixtures / real models")
    ap.add_argument("--record-floors", action="store_true", help="rewrite the floors file from this run")
    ap.add_argument("--keep", help="write the real models' quantized outputs and reports here (NAME.int8.onnx, "
                                   "NAME.report.json), for check-modes.py --static-from and check-report-sqnr.py --from")
    a = ap.parse_args()
    evaluate = os.path.join(a.shared, "real-models", "evaluate.py")
    fixtures = sorted(d for d in os.listdir(os.path.join(ROOT, "Fixtures", "models"))
                      if os.path.isdir(os.path.join(ROOT, "Fixtures", "models", d, "calib")))
    wanted = lambda name: not a.only or name in a.only
    if not os.path.isfile(a.qconvert):
        sys.exit(f"error: no qconvert binary at {a.qconvert} (swift build -c release)")
    if any(map(wanted, REAL_MODELS)) and not (os.path.isdir(os.path.join(a.real, "models")) and os.path.isfile(evaluate)):
        sys.exit(f"error: real models missing: need {a.real}/models (fetch with {a.shared}/real-models/setup.sh {a.real}) "
                 f"and {evaluate}; set QCONVERT_REAL / QCONVERT_SHARED or pass --only FIXTURE to skip them")
    floors = json.load(open(FLOORS)) if os.path.exists(FLOORS) else {}
    measured, problems = {}, []
    with tempfile.TemporaryDirectory(prefix="qconvert-crosscheck-") as temporary:
        scratch = a.keep or temporary
        os.makedirs(scratch, exist_ok=True)
        for name in [f for f in fixtures if wanted(f)] + [m for m in REAL_MODELS if wanted(m)]:
            start = time.time()
            measured[name] = check_real(a.qconvert, name, a.real, evaluate, scratch) if name in REAL_MODELS else check_fixture(a.qconvert, name, scratch)
            print(f"{name:26s} {time.time() - start:6.1f} s  {json.dumps(measured[name])}", flush=True)
            if a.record_floors:
                continue
            if name not in floors:
                problems.append(f"{name}: no floor in {FLOORS} (run with --record-floors)")
            else:
                problems += below_floor(name, measured[name], floors[name])
        if wanted(DETERMINISM_MODEL):
            start = time.time()
            differing = check_determinism(a.qconvert, a.real, scratch)
            print(f"{'determinism':26s} {time.time() - start:6.1f} s  {'byte-identical' if not differing else 'DIFFERS'}", flush=True)
            problems += differing
        if all(map(wanted, REAL_MODELS)):
            start = time.time()
            failed = check_statistics_files(a.qconvert, a.real, scratch)
            print(f"{'statistics files':26s} {time.time() - start:6.1f} s  {'--load-stats ok' if not failed else 'FAILED'}", flush=True)
            problems += failed
    if a.record_floors:
        floors.update(floors_from(measured))
        with open(FLOORS, "w") as f:
            json.dump(floors, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote {FLOORS}")
    for p in problems:
        print("FAIL " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
