#!/usr/bin/env python3
"""Every fixture and real model quantized in each mode and format (static as qdq and qoperator, also
with --integer-hardswish on the three PP-OCR models, whose PP-LCNet backbones have HardSwish;
dynamic and weight-only, which have one form each) loads and runs in ONNX Runtime with finite
outputs (issue 6, acceptance 1).

Prints one row per model and combination: file size against the float model's, and the output SQNR
against the float model in ORT on one calibration sample. Fixtures without calibration samples (an op
no runtime knows) take the modes that need none. Exit status 1 on any failure to quantize, load or run.

Usage: check-modes.py [--qconvert .build/release/qconvert] [--real ~/.cache/qconvert-real] [--only NAME ...]
Needs: python with numpy and onnxruntime (the real-model venv has both).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_MODELS = ["ppocr_cls", "ppocrv4_rec", "yolov8n_320", "ppocrv4_det"]
# Models with HardSwish (written out as Clip/Div or HardSigmoid/Mul; preparation makes them HardSwish
# again), on which --integer-hardswish changes the output.
HARDSWISH_MODELS = ["ppocr_cls", "ppocrv4_rec", "ppocrv4_det"]
# (mode, format, extra flags): the rows' "format" column shows the flags as "+ihs".
COMBINATIONS = [("static", "qdq", []), ("static", "qoperator", []), ("static", "qdq", ["--integer-hardswish"]),
                ("static", "qoperator", ["--integer-hardswish"]), ("dynamic", "qdq", []), ("weight-only", "qdq", [])]


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level = 2, 1, 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def first_sample(calib, names):
    """The first .npy/.npz of a calibration folder as ORT feeds, or None when there is none."""
    files = sorted(glob.glob(os.path.join(calib, "*.np[yz]")))
    if not files:
        return None
    if files[0].endswith(".npz"):
        with np.load(files[0]) as z:
            return {name: z[name] for name in names}
    return {names[0]: np.load(files[0])}


def sqnr_db(ref, test):
    ref, test = np.asarray(ref, np.float64).ravel(), np.asarray(test, np.float64).ravel()
    noise = np.sum((ref - test) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(ref ** 2) / noise))


def models(real):
    for path in sorted(glob.glob(os.path.join(ROOT, "Fixtures", "models", "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(path))
        yield name, path, os.path.join(os.path.dirname(path), "calib")
    if real and os.path.isdir(os.path.join(real, "models")):
        for name in REAL_MODELS:
            yield name, os.path.join(real, "models", name + ".onnx"), os.path.join(real, "data", name, "calib")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qconvert", default=os.path.join(ROOT, ".build", "release", "qconvert"))
    ap.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    ap.add_argument("--only", nargs="*", help="model names to check (default: all)")
    ap.add_argument("--static-from", help="take the real models' default static QDQ outputs from here (NAME.int8.onnx, "
                                          "as crosscheck.py --keep writes them) instead of quantizing them again")
    args = ap.parse_args()
    failures = []
    print(f"{'model':26} {'mode':12} {'format':13} {'size':>6} {'SQNR dB':>8}")
    with tempfile.TemporaryDirectory() as scratch:
        for name, path, calib in models(args.real):
            if args.only and name not in args.only:
                continue
            try:
                float_session = session(path)
            except Exception as error:  # ORT cannot run the float model (an op it lacks): nothing to compare
                print(f"{name:26} skipped: ONNX Runtime cannot load the float model ({str(error).splitlines()[0][:60]})")
                continue
            feeds = first_sample(calib, [i.name for i in float_session.get_inputs()])
            reference = float_session.run(None, feeds) if feeds is not None else None
            for mode, form, flags in COMBINATIONS:
                if mode == "static" and feeds is None or flags and name not in HARDSWISH_MODELS:
                    continue
                fmt = form + ("+ihs" if flags else "")
                out = os.path.join(scratch, f"{name}-{mode}-{fmt}.onnx")
                command = [args.qconvert, path, "--mode", mode, "--format", form, "-o", out, "--quiet"] + flags
                if feeds is not None:
                    command += ["--calib", calib]
                kept = args.static_from and os.path.join(args.static_from, name + ".int8.onnx")
                if (mode, fmt) == ("static", "qdq") and kept and os.path.exists(kept):
                    out, result = kept, subprocess.CompletedProcess(command, 0)
                else:
                    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                if result.returncode != 0:
                    failures.append(f"{name} {mode} {fmt}: qconvert failed: {result.stderr.strip()}")
                    print(f"{name:26} {mode:12} {fmt:13} FAILED to quantize")
                    continue
                size = os.path.getsize(out) / os.path.getsize(path)
                try:
                    outputs = session(out).run(None, feeds) if feeds is not None else None
                except Exception as error:
                    failures.append(f"{name} {mode} {fmt}: ONNX Runtime: {str(error).splitlines()[0]}")
                    print(f"{name:26} {mode:12} {fmt:13} {size:6.3f} ORT FAILED")
                    continue
                if outputs is None:
                    print(f"{name:26} {mode:12} {fmt:13} {size:6.3f} {'loads':>8}")
                    continue
                if not all(np.all(np.isfinite(o)) for o in outputs if np.issubdtype(np.asarray(o).dtype, np.floating)):
                    failures.append(f"{name} {mode} {fmt}: non-finite output")
                worst = min(sqnr_db(r, o) for r, o in zip(reference, outputs))
                print(f"{name:26} {mode:12} {fmt:13} {size:6.3f} {worst:8.1f}")
    for line in failures:
        print("error:", line, file=sys.stderr)
    print("all combinations load and run in ONNX Runtime" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
