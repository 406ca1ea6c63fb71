# Shared helpers for single-op test cases: build a one-node (or few-node) model with onnx.helper, run it
# in ONNX Runtime with graph optimizations off, and save model + inputs + outputs as a Fixtures/ops case.
# Needs: python with numpy, onnx, onnxruntime.
import os
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "Fixtures", "ops")


def rng(name):
    """A generator seeded from the case name, so every case is reproducible on its own."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def node_inputs(args):
    """A node's inputs from args that are ("x", array) runtime inputs, ("c", array) initializers or None
    (an omitted optional input): (input names, runtime inputs as (name, array), initializers by name).
    Input k is named x<k> or c<k>."""
    names, inputs, inits = [], [], {}
    for i, arg in enumerate(args):
        if arg is None:
            names.append("")
            continue
        kind, array = arg
        names.append(f"{kind}{i}")
        if kind == "c":
            inits[names[-1]] = array
        else:
            inputs.append((names[-1], array))
    return names, inputs, inits


def save(name, nodes, inputs, outputs, initializers=None, opset=13, extra_opsets=None, ir_version=8, functions=()):
    """Writes Fixtures/ops/<name>/: model.onnx, input_<k>.npy, output_<k>.npy (computed by ORT).

    inputs: list of (name, ndarray) fed at run time, in order.
    outputs: list of (name, onnx elem type) or names (float32 assumed).
    initializers: dict name -> ndarray stored in the model.
    functions: model-local FunctionProtos the nodes may call.
    """
    initializers = initializers or {}
    graph_inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for n, a in inputs]
    graph_outputs = []
    for o in outputs:
        n, t = (o, onnx.TensorProto.FLOAT) if isinstance(o, str) else o
        graph_outputs.append(helper.make_tensor_value_info(n, t, None))
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in initializers.items()]
    graph = helper.make_graph(nodes, name, graph_inputs, graph_outputs, inits)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in (extra_opsets or {}).items()]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="qconvert-make-op-cases", functions=list(functions))
    model.ir_version = ir_version
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))
    data = model.SerializeToString(deterministic=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    results = sess.run(None, {n: a for n, a in inputs})
    for k, (_, a) in enumerate(inputs):
        np.save(os.path.join(folder, f"input_{k}.npy"), a)
    for k, r in enumerate(results):
        np.save(os.path.join(folder, f"output_{k}.npy"), np.array(r, order="C"))  # ascontiguousarray would make a 0-d result 1-d
    return results
