#!/usr/bin/env python3
# Checks qconvert's reader+writer round trip: `qconvert copy` of every fixture and real model must give a
# file onnx.checker accepts, equal to the original message for message, with bit-identical ORT outputs.
# (Quantization's determinism on a real model is checked by crosscheck.py.)
# Needs: python with numpy, onnx, onnxruntime; a built qconvert. Usage: roundtrip-check.py --qconvert BIN [--real DIR]
import argparse, glob, os, subprocess, sys, tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def clear_empty_strings(msg):
    """Clears string fields that are present but empty: proto2 records the difference, ONNX gives it no meaning."""
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for sub in (value if field.is_repeated else [value]):
                clear_empty_strings(sub)
        elif field.type == field.TYPE_STRING and not field.is_repeated and value == "":
            msg.ClearField(field.name)


def canonical(model):
    """The model with every tensor re-encoded as raw_data, so typed-field and raw encodings compare equal,
    and with empty-but-present strings cleared."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    clear_empty_strings(m)

    def fix_tensor(t):
        if t.data_type == onnx.TensorProto.STRING:
            return
        arr = numpy_helper.to_array(t)
        new = numpy_helper.from_array(arr, t.name)
        new.doc_string = t.doc_string
        t.ClearField("float_data"); t.ClearField("int32_data"); t.ClearField("int64_data")
        t.ClearField("double_data"); t.ClearField("uint64_data"); t.ClearField("external_data")
        t.ClearField("data_location")
        t.raw_data = new.raw_data

    def fix_graph(g):
        for t in g.initializer:
            fix_tensor(t)
        for n in g.node:
            for a in n.attribute:
                if a.HasField("t"):
                    fix_tensor(a.t)
                for t in a.tensors:
                    fix_tensor(t)
                if a.HasField("g"):
                    fix_graph(a.g)
                for sub in a.graphs:
                    fix_graph(sub)

    fix_graph(m.graph)
    return m.SerializeToString(deterministic=True)


def feeds_for(model_path, data_dir):
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    if data_dir and os.path.isdir(data_dir):
        files = sorted(glob.glob(os.path.join(data_dir, "*.npy")))
        return [{names[0]: np.load(f)} for f in files]
    case = os.path.dirname(model_path)
    inputs = sorted(glob.glob(os.path.join(case, "input_*.npy")))
    return [{n: np.load(f) for n, f in zip(names, inputs)}] if inputs else []


def run(path, feeds):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return [sess.run(None, f) for f in feeds]


def check(qconvert, src, data_dir, tmp):
    out = os.path.join(tmp, os.path.basename(os.path.dirname(src)) + "_" + os.path.basename(src))
    subprocess.run([qconvert, "copy", src, "-o", out], check=True, capture_output=True)
    original, copied = onnx.load(src), onnx.load(out)
    problems = []
    if canonical(original) != canonical(copied):
        problems.append("messages differ after canonicalisation")
    try:
        onnx.checker.check_model(original)
        checker_original = None
    except Exception as e:  # a fixture may be deliberately invalid; the copy must then fail the same way
        checker_original = type(e).__name__
    try:
        onnx.checker.check_model(out)
        checker_copy = None
    except Exception as e:
        checker_copy = type(e).__name__
    if checker_copy != checker_original:
        problems.append(f"onnx.checker: original {checker_original or 'ok'}, copy {checker_copy or 'ok'}")
    runs = 0
    if checker_original is None:
        feeds = feeds_for(src, data_dir)
        for a, b in zip(run(src, feeds), run(out, feeds)):
            for x, y in zip(a, b):
                if x.shape != y.shape or x.tobytes() != y.tobytes():
                    problems.append("ORT outputs differ")
        runs = len(feeds)
    status = "ok" if not problems else "FAIL: " + "; ".join(problems)
    print(f"{src}: {status} (checker {checker_original or 'ok'}, {runs} ORT runs bit-identical)")
    return not problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qconvert", required=True)
    ap.add_argument("--real", help="setup.sh cache folder with models/ and data/")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cases = [(p, None) for p in sorted(glob.glob(os.path.join(root, "Fixtures/models/*/model.onnx")))]
    if a.real:
        for p in sorted(glob.glob(os.path.join(a.real, "models", "*.onnx"))):
            name = os.path.basename(p)[:-5]
            cases.append((p, os.path.join(a.real, "data", name, "calib")))
    with tempfile.TemporaryDirectory() as tmp:
        results = [check(a.qconvert, p, d, tmp) for p, d in cases]
        print(f"round trip: {sum(results)}/{len(results)} models ok")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
