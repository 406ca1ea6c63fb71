#!/usr/bin/env python3
# Checks qconvert's interpreter on the four real models: every output on every calibration input must match ONNX
# Runtime (CPU EP) with SQNR >= 80 dB; prints each model's worst SQNR and exits nonzero otherwise.
# Needs: python with numpy + onnxruntime, a built qconvert, ../shared/real-models/setup.sh's cache. Usage: check-real-models.py --qconvert BIN --real DIR
import argparse, glob, json, math, os, subprocess, sys, tempfile

import numpy as np
import onnxruntime as ort

MODELS = ("yolov8n_320", "ppocrv4_rec", "ppocr_cls", "ppocrv4_det")
MIN_SQNR_DB = 80.0


def sqnr(reference, test):
    """10 log10(sum ref^2 / sum (ref - test)^2) in dB; inf when identical."""
    reference, test = reference.astype(np.float64), test.astype(np.float64)
    noise = float(np.sum((reference - test) ** 2))
    return math.inf if noise == 0 else 10 * math.log10(float(np.sum(reference ** 2)) / noise)


def check(qconvert, real, name, threads, tmp):
    """(worst SQNR, where) over every output of every calibration sample of one model; -inf on a failure."""
    model = os.path.join(real, "models", name + ".onnx")
    samples = sorted(glob.glob(os.path.join(real, "data", name, "calib", "*.npy")))
    if not samples:
        return -math.inf, "no calibration samples"
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    output_names = [o.name for o in session.get_outputs()]
    worst = (math.inf, "")
    for sample in samples:
        expected = dict(zip(output_names, session.run(None, {input_name: np.load(sample)})))
        out_dir = os.path.join(tmp, name)
        run = subprocess.run([qconvert, "run", model, sample, "-o", out_dir, "--threads", str(threads), "--json"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return -math.inf, f"{os.path.basename(sample)}: qconvert run failed: {run.stderr.strip()}"
        files = json.loads(run.stdout)["outputs"]
        for output in output_names:
            actual = np.load(files[output])
            where = f"{output} on {os.path.basename(sample)}"
            if actual.shape != expected[output].shape:
                return -math.inf, f"{where}: shape {actual.shape}, ORT {expected[output].shape}"
            db = sqnr(expected[output], actual)
            if db < worst[0] or not worst[1]:
                worst = (db, where)
    return worst[0], f"{worst[1]} ({len(samples)} samples x {len(output_names)} outputs)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qconvert", required=True)
    ap.add_argument("--real", required=True, help="setup.sh cache folder with models/ and data/")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.real, "models")):
        sys.exit(f"error: real models missing: need {a.real}/models (fetch with ../shared/real-models/setup.sh {a.real}; "
                 "Scripts/test.sh does on its first run)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODELS:
            db, where = check(a.qconvert, a.real, name, a.threads, tmp)
            passed = db >= MIN_SQNR_DB
            ok = ok and passed
            print(f"{name}: {'ok' if passed else 'FAIL'}: worst SQNR {db:.1f} dB at {where}")
    print(f"real models: {'all' if ok else 'NOT all'} outputs within {MIN_SQNR_DB:.0f} dB of ONNX Runtime")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
