#!/usr/bin/env python3
# Builds small malformed ONNX files in Fixtures/hostile/ that the reader must reject with a one-line error
# (never a crash, never reading outside the model's folder). Each entry says what it breaks.
# Needs: python with numpy and onnx. Usage: make-hostile-models.py
import os
import shutil

import numpy as np
import onnx
from onnx import helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Fixtures", "hostile")


def base_model(weight_name="w"):
    """x -> Add(x, w) -> y, with w a 4x4 float initializer."""
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4), weight_name)
    g = helper.make_graph([helper.make_node("Add", ["x", weight_name], ["y"])], "g",
                          [helper.make_tensor_value_info("x", 1, [4, 4])],
                          [helper.make_tensor_value_info("y", 1, [4, 4])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


def external(m, location, offset=0, length=None):
    """Marks the initializer as external at `location`."""
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = onnx.TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", str(offset))] + ([("length", str(length))] if length is not None else []):
        e = t.external_data.add()
        e.key, e.value = k, v
    return m


def save(name, m):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString(deterministic=True))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    # 64 bytes of weights, the real size a 4x4 float tensor needs, used by the external-data cases.
    with open(os.path.join(OUT, "weights.bin"), "wb") as f:
        f.write(np.arange(16, dtype=np.float32).tobytes())
    save("external_parent_dir", external(base_model(), "../hostile/weights.bin"))
    save("external_absolute", external(base_model(), "/etc/passwd"))
    save("external_past_eof", external(base_model(), "weights.bin", offset=32))
    save("external_missing_file", external(base_model(), "no-such-file.bin"))
    save("external_wrong_length", external(base_model(), "weights.bin", length=8))
    save("external_offset_overflow", external(base_model(), "weights.bin", offset=2 ** 63 - 1))
    save("external_negative_offset", external(base_model(), "weights.bin", offset=-64))
    m = external(base_model(), "weights.bin")
    m.graph.initializer[0].dims[:] = [2 ** 20, 2 ** 20]  # 4 TB of float32 claimed from a 64-byte file
    save("external_dims_past_eof", m)
    os.symlink("/etc", os.path.join(OUT, "etc-link"))
    save("external_symlink_escape", external(base_model(), "etc-link/passwd"))
    save("external_folder_itself", external(base_model(), "."))

    m = base_model()
    m.graph.node[0].input[1] = "undefined_tensor"
    save("undefined_input", m)

    m = base_model()
    m.graph.initializer[0].raw_data = b"\0" * 60  # 4x4 float needs 64
    save("raw_data_wrong_size", m)

    m = base_model()
    m.graph.initializer[0].dims[:] = [4, -4]
    save("negative_dim", m)

    m = base_model()
    m.graph.initializer[0].dims[:] = [2 ** 40, 2 ** 40]
    save("dims_overflow", m)

    m = base_model()
    m.graph.initializer[0].dims[:] = [0, 2 ** 40, 2 ** 40]  # no elements, but its strides overflow
    m.graph.initializer[0].raw_data = b""
    save("zero_dim_overflow", m)

    m = base_model()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.float_data[:] = [1, 2, 3, 4]
    t.dims[:] = [2 ** 20, 2 ** 20]  # 2^40 values claimed, 4 stored
    save("typed_data_past_file", m)

    m = base_model()
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = -4  # read as given; never sizes anything
    save("negative_input_dim", m)

    m = base_model()
    m.graph.node.extend([helper.make_node("Relu", ["b"], ["a"]), helper.make_node("Relu", ["a"], ["b"])])
    save("cycle", m)

    m = base_model()
    m.graph.node.append(helper.make_node("Relu", ["x"], ["y"]))
    save("duplicate_output", m)

    m = base_model()
    m.graph.node[0].output.append("y")  # one node defining y twice
    save("duplicate_node_output", m)

    m = base_model()
    m.graph.output.append(m.graph.output[0])  # listed twice: valid ONNX (checker and ONNX Runtime accept it)
    save("duplicate_graph_output", m)

    for version in (1, 99):
        m = base_model()
        m.opset_import[0].version = version
        save(f"opset{version}", m)

    m = base_model()
    m.ClearField("graph")
    save("no_graph", m)
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
