#!/usr/bin/env python3
# Benchmarks qconvert against ONNX Runtime's quantize_static on the four real models: wall time, peak RSS,
# output SQNR and task metric of both results, and the ORT latency of both emitted models; prints a table, writes JSON.
# Needs: a release qconvert; the real-model cache (../shared/real-models/setup.sh) with its venv; 24 GB free RAM for the default
# --method entropy (ORT's Entropy holds every activation of every sample: about 22 GB on ppocrv4_det).
# Usage: bench.py [--qconvert BIN] [--method entropy|minmax|percentile|default] [--models NAME ...] [--json PATH] [--keep DIR]
"""qconvert vs ONNX Runtime quantize_static, one row per real model.

Both tools get the same calibration samples (DEST/data/NAME/calib) and the same range method
(--method entropy: qconvert --method entropy vs ORT Entropy; `default`: each tool as it runs out of
the box, qconvert's auto method vs ORT's MinMax). Each quantization runs alone, one after another, in
a fresh process whose wall time and peak RSS (getrusage of its children) are measured, so neither
tool's memory is charged to the other. Both emitted models are then scored by
../shared/real-models/evaluate.py on the eval samples (SQNR and task metric vs the float model, and
median latency in ORT with 2 threads).

Ratios are ORT / qconvert: above 1 means qconvert is faster, lighter, or emits the faster model.
"""
import argparse, json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = ["ppocr_cls", "ppocrv4_rec", "yolov8n_320", "ppocrv4_det"]
TASK_METRIC = {"ppocr_cls": "top1_agree_pct", "ppocrv4_rec": "ctc_string_match_pct",
               "yolov8n_320": "det_f1_vs_float", "ppocrv4_det": "mask_iou_at_0.3"}
ORT_METHOD = {"entropy": "Entropy", "minmax": "MinMax", "percentile": "Percentile", "default": "MinMax"}

# Runs argv in a child and prints its wall seconds and peak RSS: a fresh process per measurement, so
# RUSAGE_CHILDREN holds that one run only.
MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(json.dumps({"code": code, "wall_s": round(time.perf_counter() - t, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}))
"""


def measured(argv):
    """Wall time and peak RSS of one run; "code" is its exit status (negative: killed, e.g. out of memory)."""
    return json.loads(subprocess.run([sys.executable, "-c", MEASURE, *argv], check=True, capture_output=True, text=True).stdout)


def evaluate(python, evaluate_py, real, name, model):
    out = subprocess.run([python, evaluate_py, name, model, "--root", real], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ratio(ort, qc, key):
    """ORT / qconvert for `key`, when both runs succeeded."""
    return round(ort[key] / qc[key], 2) if ort["code"] == 0 and qc["code"] == 0 and qc[key] else None


def bench_model(a, name, scratch):
    python = os.path.join(a.real, "venv", "bin", "python")
    shared = os.path.join(a.shared, "real-models")
    qc_out, ort_out = os.path.join(scratch, name + ".qconvert.onnx"), os.path.join(scratch, name + ".ort.onnx")
    qc_flags = [] if a.method == "default" else ["--method", a.method]
    qc = measured([a.qconvert, os.path.join(a.real, "models", name + ".onnx"), "--calib", os.path.join(a.real, "data", name, "calib"),
                   "-o", qc_out, "--quiet", *qc_flags])
    ort = measured([python, os.path.join(shared, "ort_baseline.py"), name, ort_out, "--method", ORT_METHOD[a.method], "--root", a.real])
    metric = TASK_METRIC[name]
    for run, out in ((qc, qc_out), (ort, ort_out)):
        # A failed run (say, killed out of memory) keeps its row, with its exit status and no scores.
        if run["code"] == 0:
            e = evaluate(python, os.path.join(shared, "evaluate.py"), a.real, name, out)
            run.update(sqnr_db=min(e["sqnr_db"].values()), latency_ms=e["latency_ms"]["quant"], float_latency_ms=e["latency_ms"]["float"])
            run[metric] = e["task"][metric]
    return {
        "model": name, "qconvert_method": a.method if a.method != "default" else "auto", "ort_method": ORT_METHOD[a.method],
        "qconvert": qc, "ort": ort, "task_metric": metric,
        "ratios": {"wall": ratio(ort, qc, "wall_s"), "peak_rss": ratio(ort, qc, "peak_rss_mb"), "latency": ratio(ort, qc, "latency_ms")},
    }


HEADER = ("model", "method q/ORT", "wall s q/ORT", "x", "RSS MB q/ORT", "x", "SQNR dB q/ORT", "task q/ORT", "latency ms q/ORT (float)", "x")


def row(r):
    q, o, x, m = r["qconvert"], r["ort"], r["ratios"], r["task_metric"]
    get = lambda run, key: run.get(key, f"exit {run['code']}")
    both = lambda key: f"{get(q, key)}/{get(o, key)}"
    floats = q.get("float_latency_ms", o.get("float_latency_ms"))
    return (r["model"], f"{r['qconvert_method']}/{r['ort_method']}", both("wall_s"), f"{x['wall']}",
            f"{q['peak_rss_mb']:.0f}/{o['peak_rss_mb']:.0f}", f"{x['peak_rss']}", both("sqnr_db"),
            f"{both(m)} {m}", f"{both('latency_ms')} ({floats})", f"{x['latency']}")


def print_table(rows):
    cells = [HEADER] + [row(r) for r in rows]
    widths = [max(len(c[k]) for c in cells) for k in range(len(HEADER))]
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qconvert", default=os.path.join(ROOT, ".build", "release", "qconvert"))
    ap.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    ap.add_argument("--shared", default=os.environ.get("QCONVERT_SHARED", os.path.join(ROOT, "..", "shared")))
    ap.add_argument("--method", choices=sorted(ORT_METHOD), default="entropy")
    ap.add_argument("--models", nargs="*", choices=MODELS, default=MODELS)
    ap.add_argument("--json", default=os.path.join(ROOT, ".build", "bench.json"), help="where to write the results")
    ap.add_argument("--keep", metavar="DIR", help="keep the emitted models in DIR (NAME.qconvert.onnx, NAME.ort.onnx) for Scripts/bench-latency.py")
    a = ap.parse_args()
    if not os.path.isfile(a.qconvert):
        sys.exit(f"error: no qconvert binary at {a.qconvert} (swift build -c release)")
    if not os.path.isdir(os.path.join(a.real, "models")):
        sys.exit(f"error: no real models at {a.real}/models (fetch with {a.shared}/real-models/setup.sh {a.real})")
    rows = []
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qconvert-bench-") as scratch:
        for name in a.models:
            rows.append(bench_model(a, name, a.keep or scratch))
            print(f"{name}: done", file=sys.stderr, flush=True)
    sys.stderr.flush()
    print_table(rows)
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump({"method": a.method, "rows": rows}, f, indent=2)
        f.write("\n")
    print(f"wrote {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
