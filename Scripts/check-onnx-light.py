#!/usr/bin/env python3
# Runs the light/* architectures shipped in the onnx package (AlexNet, DenseNet-121, Inception v1/v2, ResNet-50,
# ShuffleNet, SqueezeNet, VGG-19, ZFNet-512) through `qconvert run` and ONNX Runtime (CPU EP) on seeded random
# inputs, with the logits and every few convolutions' outputs exposed too (the weights are ConstantOfShape fills,
# so the softmax outputs alone are nearly uniform); fails unless all are within 1e-4 relative / 1e-5 absolute.
# Needs: python with numpy, onnx, onnxruntime; a built qconvert. Usage: check-onnx-light.py --qconvert BIN [--threads N]
import argparse, glob, json, os, subprocess, sys, tempfile

import numpy as np
import onnx
import onnxruntime as ort

RTOL, ATOL = 1e-4, 1e-5


TAPS = 8  # convolution outputs exposed per model, evenly spaced


def with_taps(path, tmp):
    """The model with the last node's inputs and TAPS Conv outputs added as graph outputs, saved in tmp."""
    model = onnx.load(path)
    convs = [n.output[0] for n in model.graph.node if n.op_type == "Conv"]
    taps = [convs[i * len(convs) // TAPS] for i in range(min(TAPS, len(convs)))] + list(model.graph.node[-1].input)
    known = {o.name for o in model.graph.output}
    for name in dict.fromkeys(taps):
        if name not in known:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    tapped = os.path.join(tmp, os.path.basename(path))
    onnx.save(model, tapped)
    return tapped


def check(qconvert, original, threads, tmp):
    """Whether every output and tap of one model matches ORT on one random input; prints the max error."""
    name = os.path.basename(original)[:-5]
    path = with_taps(original, tmp)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds, args = {}, []
    for i, spec in enumerate(session.get_inputs()):
        feeds[spec.name] = rng.standard_normal(spec.shape).astype(np.float32)
        file = os.path.join(tmp, f"{name}_input_{i}.npy")
        np.save(file, feeds[spec.name])
        args += ["--input", f"{spec.name}={file}"]
    expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    out = subprocess.run([qconvert, "run", path, *args, "-o", os.path.join(tmp, name), "--threads", str(threads), "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(f"{name}: FAIL: qconvert run: {out.stderr.strip()}")
        return False
    ok, worst = True, (0.0, 0.0, "")
    for output, file in json.loads(out.stdout)["outputs"].items():
        actual, truth = np.load(file), expected[output]
        if actual.shape != truth.shape:
            print(f"{name}: FAIL: {output} has shape {actual.shape}, ORT {truth.shape}")
            return False
        error = float(np.max(np.abs(actual.astype(np.float64) - truth)))
        scale = float(np.max(np.abs(truth)))
        if error / max(scale, ATOL) >= worst[0] / max(worst[1], ATOL):
            worst = (error, scale, output)
        ok = ok and np.allclose(actual, truth, rtol=RTOL, atol=ATOL)
    error, scale, output = worst
    print(f"{name}: {'ok' if ok else 'FAIL'}: {len(expected)} values; worst max|error| / max|ORT| is "
          f"{error:.3g} / {scale:.3g} = {error / max(scale, ATOL):.2g} in {output}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qconvert", required=True)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    models = sorted(glob.glob(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data/light/*.onnx")))
    if not models:
        sys.exit("error: no light/*.onnx in the onnx package")
    with tempfile.TemporaryDirectory() as tmp:
        results = [check(a.qconvert, path, a.threads, tmp) for path in models]
    print(f"light models: {sum(results)}/{len(results)} match ONNX Runtime")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
