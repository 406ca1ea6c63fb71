# Builds the calibration-dataset fixtures in Fixtures/calib/ (tiny models plus the same samples in
# every dataset layout qconvert reads). Needs: python with numpy and onnx
# (e.g. /root/.cache/qconvert-real/venv/bin/python). Usage: python Scripts/make-calib-fixtures.py
"""Calibration dataset fixtures.

two_inputs/model.onnx      inputs x float32 [1, 4] and y float32 [1, 2, 3];
                           x_relu = Relu(x), y_id = Identity(y), y_relu = Relu(y_id)
two_inputs/npz_stored/     0000..0002.npz written by np.savez (stored members)
two_inputs/npz_deflated/   the same samples written by np.savez_compressed (deflated members)
two_inputs/npz_zip64/      the same samples written by np.savez with zipfile's zip64 limit set to 0, so
                           the sizes and offsets sit in zip64 fields as numpy writes them past 2 GiB
two_inputs/test_data/      the same samples as ONNX Runtime's test_data_set_<k>/input_<j>.pb
single_input/model.onnx    input float32 [2, 3] (fixed batch 2); output = Relu(input)
single_input/split/        0000.npy of shape [6, 3] (three batches) and 0001.npy of shape [2, 3]

Sample k of two_inputs: x = (arange(4) - 1.5) * (k + 1), y = arange(6).reshape(1, 2, 3) / 4 - k.
single_input: 0000.npy = arange(18).reshape(6, 3) - 8, 0001.npy = -arange(6).reshape(2, 3).
Values are formulas, not random, so tests can state them. Zip timestamps are pinned so reruns
give identical bytes; the archives are otherwise exactly what numpy writes (numpy marks members
zip64 in their local headers, which readers must accept).
"""

import os
import shutil
import time
import zipfile
from unittest import mock

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "calib")
PINNED_TIME = time.mktime((2024, 1, 1, 0, 0, 0, 0, 1, -1))


def save_model(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8,
                              producer_name="qconvert-make-calib-fixtures")
    onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, path)


def two_inputs(d):
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["x_relu"], name="relu_x"),
         helper.make_node("Identity", ["y"], ["y_id"], name="identity_y"),
         helper.make_node("Relu", ["y_id"], ["y_relu"], name="relu_y")],
        "two_inputs",
        [vi("x", TensorProto.FLOAT, [1, 4]), vi("y", TensorProto.FLOAT, [1, 2, 3])],
        [vi("x_relu", TensorProto.FLOAT, [1, 4]), vi("y_relu", TensorProto.FLOAT, [1, 2, 3])])
    save_model(graph, os.path.join(d, "model.onnx"))
    samples = [{"x": ((np.arange(4) - 1.5) * (k + 1)).reshape(1, 4).astype(np.float32),
                "y": (np.arange(6).reshape(1, 2, 3) / 4 - k).astype(np.float32)} for k in range(3)]
    for folder, save, zip64_limit in (("npz_stored", np.savez, zipfile.ZIP64_LIMIT),
                                      ("npz_deflated", np.savez_compressed, zipfile.ZIP64_LIMIT), ("npz_zip64", np.savez, 0)):
        os.makedirs(os.path.join(d, folder))
        for k, sample in enumerate(samples):
            with mock.patch("time.time", return_value=PINNED_TIME), mock.patch("zipfile.ZIP64_LIMIT", zip64_limit):
                save(os.path.join(d, folder, f"{k:04d}.npz"), **sample)
            with np.load(os.path.join(d, folder, f"{k:04d}.npz")) as back:
                assert all(np.array_equal(back[name], sample[name]) for name in sample)
    for k, sample in enumerate(samples):
        sd = os.path.join(d, "test_data", f"test_data_set_{k}")
        os.makedirs(sd)
        for j, name in enumerate(["x", "y"]):
            with open(os.path.join(sd, f"input_{j}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(sample[name], name).SerializeToString())


def single_input(d):
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["output"], name="relu")], "single_input",
        [vi("input", TensorProto.FLOAT, [2, 3])], [vi("output", TensorProto.FLOAT, [2, 3])])
    save_model(graph, os.path.join(d, "model.onnx"))
    os.makedirs(os.path.join(d, "split"))
    np.save(os.path.join(d, "split", "0000.npy"), (np.arange(18).reshape(6, 3) - 8).astype(np.float32))
    np.save(os.path.join(d, "split", "0001.npy"), (-np.arange(6).reshape(2, 3)).astype(np.float32))


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    for build in (two_inputs, single_input):
        d = os.path.join(ROOT, build.__name__)
        os.makedirs(d)
        build(d)
        print("wrote", os.path.relpath(d))


if __name__ == "__main__":
    main()
