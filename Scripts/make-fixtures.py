# Builds the tiny ONNX fixtures in Fixtures/models/<case>/ (model, inputs, ORT outputs, calib set).
# Needs: python with numpy, onnx, onnxruntime (e.g. /root/.cache/qconvert-real/venv/bin/python).
# Usage: python Scripts/make-fixtures.py [--out Fixtures/models] [CASE ...]
"""Generates qconvert's hand-built ONNX test fixtures.

Every case is built with `onnx.helper` from a fixed numpy seed, so rerunning gives byte-identical
files. Each case folder holds:

    model.onnx             the float model (opset 13, IR version 8)
    input_<k>.npy          one test value per graph input, graph order
    output_<k>.npy         ONNX Runtime's result for those inputs, graph output order
                           (CPU EP, ORT_DISABLE_ALL, one thread: the literal float graph)
    calib/0000..0015.npy   16 calibration samples (exact input shape incl. batch), or
    calib/0000..0015.npz   keyed by input name when the model has several inputs

Truth for every output comes from ONNX Runtime, never from this script's own arithmetic.
The builder functions below document what each case exercises.
"""

import argparse
import io
import os
import shutil
import sys
import zipfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8
CALIB_SAMPLES = 16
CUSTOM_DOMAIN = "com.example.qconvert"
MODEL_UNKNOWN_FIELD = (1000, b"qconvert-unknown-field")  # ModelProto, wire type 2
GRAPH_UNKNOWN_FIELD = (1001, 7)  # GraphProto, wire type 0 (varint)


# ---------------------------------------------------------------------------------------------
# Small helpers


class Graph:
    """Accumulates nodes and initializers; names every node `<op>_<n>` and its output likewise."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = {}

    def const(self, name, value, dtype=np.float32):
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def he(self, name, shape, fan_in):
        """He-init normal weights: N(0, sqrt(2 / fan_in))."""
        return self.const(name, self.rng.normal(0.0, np.sqrt(2.0 / fan_in), shape))

    def bias(self, name, n, scale=0.1):
        return self.const(name, self.rng.normal(0.0, scale, n))

    def node(self, op, inputs, n_out=1, domain=None, **attrs):
        k = self.count.get(op, 0)
        self.count[op] = k + 1
        name = f"{op.lower()}_{k}"
        outs = [f"{name}_out"] if n_out == 1 else [f"{name}_out{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, domain=domain, **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, c_in, c_out, k, group=1, **attrs):
        i = self.count.get("Conv", 0)
        w = self.he(f"conv_{i}.weight", [c_out, c_in // group, k, k], c_in // group * k * k)
        b = self.bias(f"conv_{i}.bias", c_out)
        return self.node("Conv", [x, w, b], kernel_shape=[k, k], group=group, **attrs)

    def batchnorm(self, x, c):
        """BatchNormalization with non-trivial stats: mean != 0, var != 1, random gamma/beta."""
        i = self.count.get("BatchNormalization", 0)
        p = f"bn_{i}"
        scale = self.const(f"{p}.scale", self.rng.uniform(0.5, 1.5, c))
        beta = self.const(f"{p}.bias", self.rng.normal(0.0, 0.2, c))
        mean = self.const(f"{p}.mean", self.rng.normal(0.0, 0.3, c))
        var = self.const(f"{p}.var", self.rng.uniform(0.5, 2.0, c))
        return self.node("BatchNormalization", [x, scale, beta, mean, var], epsilon=1e-5)

    def gemm(self, x, n_in, n_out, trans_b=1):
        i = self.count.get("Gemm", 0)
        shape = [n_out, n_in] if trans_b else [n_in, n_out]
        w = self.he(f"gemm_{i}.weight", shape, n_in)
        b = self.bias(f"gemm_{i}.bias", n_out)
        return self.node("Gemm", [x, w, b], transB=trans_b)

    def linear(self, x, n_in, n_out, prefix):
        """MatMul with a constant [n_in, n_out] weight, then Add bias (how exporters write Linear)."""
        w = self.const(f"{prefix}.weight", self.rng.normal(0.0, np.sqrt(1.0 / n_in), [n_in, n_out]))
        b = self.bias(f"{prefix}.bias", n_out)
        return self.node("Add", [self.node("MatMul", [x, w]), b])

    def model(self, name, inputs, outputs, opsets=None, value_info=()):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits,
                                  value_info=list(value_info))
        opsets = opsets or [helper.make_opsetid("", OPSET)]
        m = helper.make_model(graph, opset_imports=opsets, ir_version=IR_VERSION,
                              producer_name="qconvert-make-fixtures", producer_version="1")
        return m


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def f32(a):
    return np.asarray(a, dtype=np.float32)


class Case:
    """What a builder returns: the model plus test inputs and calibration samples (graph order)."""

    def __init__(self, model, test_inputs, calib=None, runnable=True, external_data=False,
                 raw_bytes=None, check=True):
        self.model = model
        self.test_inputs = test_inputs
        self.calib = calib
        self.runnable = runnable
        self.external_data = external_data
        self.raw_bytes = raw_bytes
        self.check = check


# ---------------------------------------------------------------------------------------------
# Cases


def conv_bn_relu():
    """Conv+BN+Relu twice (second stride 2), GlobalAveragePool, Flatten, Gemm.

    Exercises BatchNorm folding, Conv+Relu fusion, per-channel weight quantization and a
    non-negative image-like input: inputs are uniform in [0, 1] like a normalized-to-unit image.
    Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1001)
    g = Graph(rng)
    h = g.node("Relu", [g.batchnorm(g.conv("input", 3, 8, 3, pads=[1, 1, 1, 1]), 8)])
    h = g.node("Relu", [g.batchnorm(g.conv(h, 8, 8, 3, strides=[2, 2]), 8)])
    h = g.node("Flatten", [g.node("GlobalAveragePool", [h])], axis=1)
    y = g.gemm(h, 8, 4)
    g.nodes[-1].output[0] = "output"
    m = g.model("conv_bn_relu", [vi("input", [1, 3, 16, 16])], [vi("output", [1, 4])])
    shape = (1, 3, 16, 16)
    return Case(m, [f32(rng.uniform(0, 1, shape))],
                [[f32(rng.uniform(0, 1, shape))] for _ in range(CALIB_SAMPLES)])


def depthwise_conv():
    """Depthwise Conv (group=8) + BN + Relu6 + pointwise Conv 1x1 + hard-swish (x*HardSigmoid(x)).

    Relu6 is opset-13 Clip with min/max given as scalar initializer inputs (not attributes).
    HardSigmoid uses alpha=1/6, beta=0.5 as MobileNetV3 exports do. Exercises per-channel
    quantization of a group=C conv and a clipped activation range. Inputs ~ N(0, 2) so the
    Clip at 6 is actually hit. Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1002)
    g = Graph(rng)
    h = g.batchnorm(g.conv("input", 8, 8, 3, group=8, pads=[1, 1, 1, 1]), 8)
    h = g.node("Clip", [h, g.const("clip.min", 0.0), g.const("clip.max", 6.0)])
    h = g.conv(h, 8, 16, 1)
    hs = g.node("HardSigmoid", [h], alpha=1.0 / 6.0, beta=0.5)
    g.node("Mul", [h, hs])
    g.nodes[-1].output[0] = "output"
    m = g.model("depthwise_conv", [vi("input", [1, 8, 12, 12])], [vi("output", [1, 16, 12, 12])])
    shape = (1, 8, 12, 12)
    return Case(m, [f32(rng.normal(0, 2, shape))],
                [[f32(rng.normal(0, 2, shape))] for _ in range(CALIB_SAMPLES)])


def residual_add():
    """Residual block: Conv+Relu+Conv, Add(block input), Relu, MaxPool 2x2, AveragePool 3x3 s1 p1.

    Two graph outputs: the pooled main path ("output") and Sigmoid of the post-residual Relu
    ("branch"), a tensor with two consumers. Exercises Add of two differently-scaled activations,
    pooling ops that reuse their input's quant params, and multi-output graphs.
    Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1003)
    g = Graph(rng)
    h = g.node("Relu", [g.conv("input", 4, 4, 3, pads=[1, 1, 1, 1])])
    h = g.conv(h, 4, 4, 3, pads=[1, 1, 1, 1])
    r = g.node("Relu", [g.node("Add", [h, "input"])])
    p = g.node("MaxPool", [r], kernel_shape=[2, 2], strides=[2, 2])
    g.node("AveragePool", [p], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    g.nodes[-1].output[0] = "output"
    g.node("Sigmoid", [r])
    g.nodes[-1].output[0] = "branch"
    m = g.model("residual_add", [vi("input", [1, 4, 10, 10])],
                [vi("output", [1, 4, 5, 5]), vi("branch", [1, 4, 10, 10])])
    shape = (1, 4, 10, 10)
    return Case(m, [f32(rng.normal(0, 1, shape))],
                [[f32(rng.normal(0, 1, shape))] for _ in range(CALIB_SAMPLES)])


def gemm_relu():
    """Batch-2 MLP: Gemm(16->32, transB=1) + Relu + Gemm(32->10, transB=0) + Softmax.

    Exercises both Gemm weight layouts (per-channel axis 0 vs 1 depending on transB), a batch
    dimension > 1 in inputs and calibration samples, and a Softmax output. Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1004)
    g = Graph(rng)
    h = g.node("Relu", [g.gemm("input", 16, 32, trans_b=1)])
    h = g.gemm(h, 32, 10, trans_b=0)
    g.node("Softmax", [h], axis=-1)
    g.nodes[-1].output[0] = "output"
    m = g.model("gemm_relu", [vi("input", [2, 16])], [vi("output", [2, 10])])
    shape = (2, 16)
    return Case(m, [f32(rng.normal(0, 1, shape))],
                [[f32(rng.normal(0, 1, shape))] for _ in range(CALIB_SAMPLES)])


def matmul_transformer_block():
    """Single-head post-LN transformer block over [1, 6, 16] (batch, seq, hidden).

    Attention: Q/K/V = MatMul(x, W[16,16]) + b; Transpose K (perm 0,2,1); MatMul; Mul 1/sqrt(16);
    Softmax(axis=-1); MatMul V; output projection MatMul+Add; residual Add with x.
    LayerNorm decomposed as PaddleOCR exports it: ReduceMean(axes=[-1]) -> Sub -> Pow(2) ->
    ReduceMean -> Add(eps) -> Sqrt -> Div -> Mul(gamma) -> Add(beta) (opset 13: axes attribute).
    MLP: MatMul(16->32)+Add, Gelu as x*0.5*(1+Erf(x/sqrt2)) in PyTorch's export order
    (Div -> Erf -> Add 1 -> Mul x -> Mul 0.5), MatMul(32->16)+Add, residual Add with the
    LayerNorm output (the MLP's input). Exercises activation x activation MatMuls, elementwise
    chains and ops that should stay float. Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1005)
    g = Graph(rng)
    x = "input"
    q = g.linear(x, 16, 16, "attn.q")
    k = g.linear(x, 16, 16, "attn.k")
    v = g.linear(x, 16, 16, "attn.v")
    kt = g.node("Transpose", [k], perm=[0, 2, 1])
    s = g.node("Mul", [g.node("MatMul", [q, kt]), g.const("attn.scale", 1.0 / np.sqrt(16.0))])
    a = g.node("MatMul", [g.node("Softmax", [s], axis=-1), v])
    h = g.node("Add", [g.linear(a, 16, 16, "attn.out"), x])

    mean = g.node("ReduceMean", [h], axes=[-1], keepdims=1)
    d = g.node("Sub", [h, mean])
    var = g.node("ReduceMean", [g.node("Pow", [d, g.const("ln.two", 2.0)])], axes=[-1], keepdims=1)
    std = g.node("Sqrt", [g.node("Add", [var, g.const("ln.eps", 1e-5)])])
    n = g.node("Div", [d, std])
    ln = g.node("Add", [g.node("Mul", [n, g.const("ln.gamma", rng.uniform(0.5, 1.5, 16))]),
                        g.const("ln.beta", rng.normal(0, 0.2, 16))])

    m1 = g.linear(ln, 16, 32, "mlp.fc1")
    erf = g.node("Erf", [g.node("Div", [m1, g.const("gelu.sqrt2", np.sqrt(2.0))])])
    gelu = g.node("Mul", [g.node("Mul", [m1, g.node("Add", [erf, g.const("gelu.one", 1.0)])]),
                          g.const("gelu.half", 0.5)])
    m2 = g.linear(gelu, 32, 16, "mlp.fc2")
    g.node("Add", [m2, ln])
    g.nodes[-1].output[0] = "output"
    m = g.model("matmul_transformer_block", [vi("input", [1, 6, 16])], [vi("output", [1, 6, 16])])
    shape = (1, 6, 16)
    return Case(m, [f32(rng.normal(0, 1, shape))],
                [[f32(rng.normal(0, 1, shape))] for _ in range(CALIB_SAMPLES)])


def conv_transpose():
    """Conv(4->8)+Relu, ConvTranspose(8->4, k2 s2)+BN+Relu, Resize x2 nearest, Conv 1x1 -> Sigmoid.

    An upsampling decoder: ConvTranspose weights are [C_in, C_out, kH, kW], so the per-channel
    quantization axis is 1, not 0. Resize (opset 13) takes roi as an empty optional input ("")
    and scales [1,1,2,2]; attributes are the PyTorch export's (asymmetric, floor). Inputs are
    non-negative and skewed (max(N(0.3,1), 0), like a post-Relu feature map), so the range is
    asymmetric with a spike at 0. Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1006)
    g = Graph(rng)
    h = g.node("Relu", [g.conv("input", 4, 8, 3, pads=[1, 1, 1, 1])])
    w = g.he("convtranspose_0.weight", [8, 4, 2, 2], 8 * 2 * 2)
    b = g.bias("convtranspose_0.bias", 4)
    h = g.node("ConvTranspose", [h, w, b], kernel_shape=[2, 2], strides=[2, 2])
    h = g.node("Relu", [g.batchnorm(h, 4)])
    h = g.node("Resize", [h, "", g.const("resize.scales", [1.0, 1.0, 2.0, 2.0])], mode="nearest",
               coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    g.node("Sigmoid", [g.conv(h, 4, 2, 1)])
    g.nodes[-1].output[0] = "output"
    m = g.model("conv_transpose", [vi("input", [1, 4, 8, 8])], [vi("output", [1, 2, 32, 32])])
    shape = (1, 4, 8, 8)

    def sample():
        return f32(np.maximum(rng.normal(0.3, 1.0, shape), 0.0))

    return Case(m, [sample()], [[sample()] for _ in range(CALIB_SAMPLES)])


def conv_lstm():
    """Conv(1->8, 3x3)+Relu over a [1, 1, 4, 12] strip, columns as time steps, bidirectional LSTM
    (hidden 12), then a per-step MatMul classifier and Softmax: a tiny CRNN text recognizer.

    LSTM has no integer kernel in ONNX; its W [2, 48, 32] and R [2, 48, 12] are most of the model's
    weights, stored in int8 in every mode (per gate row, axis 1) while the LSTM computes in float.
    The Conv output [1, 8, 4, 12] becomes the sequence [12, 1, 32] by Transpose + Reshape. Truth:
    ONNX Runtime.
    """
    rng = np.random.default_rng(1011)
    g = Graph(rng)
    h = g.node("Relu", [g.conv("input", 1, 8, 3, pads=[1, 1, 1, 1])])
    h = g.node("Transpose", [h], perm=[3, 0, 1, 2])                       # [12, 1, 8, 4]
    h = g.node("Reshape", [h, g.const("sequence.shape", [12, 1, 32], np.int64)])
    hidden = 12
    w = g.const("lstm.W", rng.normal(0.0, np.sqrt(1.0 / 32), [2, 4 * hidden, 32]))
    r = g.const("lstm.R", rng.normal(0.0, np.sqrt(1.0 / hidden), [2, 4 * hidden, hidden]))
    b = g.bias("lstm.B", [2, 8 * hidden])
    y = g.node("LSTM", [h, w, r, b], hidden_size=hidden, direction="bidirectional")  # [12, 2, 1, 12]
    y = g.node("Transpose", [y], perm=[0, 2, 1, 3])                       # [12, 1, 2, 12]
    y = g.node("Reshape", [y, g.const("features.shape", [12, 24], np.int64)])
    g.node("Softmax", [g.linear(y, 24, 6, "classifier")], axis=-1)
    g.nodes[-1].output[0] = "output"
    m = g.model("conv_lstm", [vi("input", [1, 1, 4, 12])], [vi("output", [12, 6])])
    shape = (1, 1, 4, 12)

    def sample():
        return f32(rng.normal(0.0, 1.0, shape))

    return Case(m, [sample()], [[sample()] for _ in range(CALIB_SAMPLES)])


def _append_unknown_field(data, field, payload):
    """Appends one protobuf field (varint if payload is int, else length-delimited) to bytes."""

    def varint(n):
        out = bytearray()
        while True:
            byte = n & 0x7F
            n >>= 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    if isinstance(payload, int):
        return data + varint(field << 3 | 0) + varint(payload)
    return data + varint(field << 3 | 2) + varint(len(payload)) + payload


def unknown_op():
    """Relu -> custom-domain FancyOp -> Add: everything qconvert must pass through untouched.

    - `FancyOp` in domain com.example.qconvert (opset_import version 1) with a float attribute
      `alpha` and a string attribute `mode`; no runtime implements it.
    - The Relu carries an attribute Relu does not define, `qc_unknown_attr` (INT, explicitly 0,
      so the `i` field is present on the wire with value 0).
    - The serialized ModelProto ends with unknown field 1000 (length-delimited,
      b"qconvert-unknown-field"), and the GraphProto ends with unknown field 1001 (varint 7).
    A writer must give these back byte-for-byte. ONNX Runtime cannot run FancyOp (and refuses to
    load the Relu with an unknown attribute), so this case has input_0.npy but no output_*.npy
    and no calib/ folder. onnx.checker rejects it (Relu has
    no attribute qc_unknown_attr), so it is checked without that attribute instead; the custom
    domain op itself passes the checker (it skips ops of unregistered domains).
    """
    rng = np.random.default_rng(1007)
    g = Graph(rng)
    h = g.node("Relu", ["input"])
    f = g.node("FancyOp", [h], domain=CUSTOM_DOMAIN, alpha=0.25, mode="fancy")
    g.node("Add", [f, g.const("add.bias", rng.normal(0, 1, [1, 4]))])
    g.nodes[-1].output[0] = "output"
    m = g.model("unknown_op", [vi("input", [1, 4])], [vi("output", [1, 4])],
                opsets=[helper.make_opsetid("", OPSET), helper.make_opsetid(CUSTOM_DOMAIN, 1)])
    onnx.checker.check_model(m, full_check=False)  # passes before the unknown attribute is added

    m.graph.node[0].attribute.append(helper.make_attribute("qc_unknown_attr", 0))
    assert m.graph.node[0].attribute[0].HasField("i")
    graph_bytes = _append_unknown_field(m.graph.SerializeToString(), *GRAPH_UNKNOWN_FIELD)
    m.graph.ParseFromString(graph_bytes)  # protobuf keeps the field as an unknown field
    raw = _append_unknown_field(m.SerializeToString(), *MODEL_UNKNOWN_FIELD)
    return Case(m, [f32(rng.normal(0, 1, [1, 4]))], None, runnable=False, raw_bytes=raw,
                check=False)


def if_subgraph():
    """If node with subgraphs that read the outer-scope `x`; inputs x [1,4] float, cond [] bool.

    then_branch: Relu(x * 2), the 2 an initializer of the subgraph.
    else_branch: Sigmoid(x) - 1, the 1 produced by a Constant node inside the subgraph.
    Exercises subgraph parsing/writing, outer-scope references and a non-float (bool scalar)
    graph input. input_1.npy is cond=True; calib/*.npz hold both inputs keyed by name, with
    cond alternating True/False. Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1008)
    then_g = helper.make_graph(
        [helper.make_node("Mul", ["x", "then.two"], ["then.mul"], name="then_mul"),
         helper.make_node("Relu", ["then.mul"], ["then.out"], name="then_relu")],
        "then_branch", [], [vi("then.out", [1, 4])],
        [numpy_helper.from_array(f32(2.0), "then.two")])
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["else.one"], name="else_one",
                          value=numpy_helper.from_array(f32(1.0))),
         helper.make_node("Sigmoid", ["x"], ["else.sig"], name="else_sigmoid"),
         helper.make_node("Sub", ["else.sig", "else.one"], ["else.out"], name="else_sub")],
        "else_branch", [], [vi("else.out", [1, 4])])
    node = helper.make_node("If", ["cond"], ["output"], name="if_0",
                            then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph([node], "if_subgraph",
                              [vi("x", [1, 4]), vi("cond", [], TensorProto.BOOL)],
                              [vi("output", [1, 4])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          ir_version=IR_VERSION, producer_name="qconvert-make-fixtures",
                          producer_version="1")
    calib = [[f32(rng.normal(0, 1, [1, 4])), np.array(i % 2 == 0)] for i in range(CALIB_SAMPLES)]
    return Case(m, [f32(rng.normal(0, 1, [1, 4])), np.array(True)], calib)


def external_data():
    """Conv(3->16, 3x3) + Relu + GlobalAveragePool + Flatten + Gemm(16->10), weights external.

    Saved with save_as_external_data, all tensors in one file `model.data`, size_threshold 1024:
    the Conv weight (16*3*3*3 floats = 1728 bytes) goes to model.data, the smaller tensors
    (Conv bias, Gemm weight 640 bytes, Gemm bias) stay inline, so a reader must handle both.
    Inputs are a normalized image ((u - 0.5) / 0.25, u uniform in [0, 1]). Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1009)
    g = Graph(rng)
    h = g.node("Relu", [g.conv("input", 3, 16, 3, pads=[1, 1, 1, 1])])
    h = g.node("Flatten", [g.node("GlobalAveragePool", [h])], axis=1)
    g.gemm(h, 16, 10)
    g.nodes[-1].output[0] = "output"
    m = g.model("external_data", [vi("input", [1, 3, 8, 8])], [vi("output", [1, 10])])
    shape = (1, 3, 8, 8)

    def sample():
        return f32((rng.uniform(0, 1, shape) - 0.5) / 0.25)

    return Case(m, [sample()], [[sample()] for _ in range(CALIB_SAMPLES)], external_data=True)


def dynamic_batch():
    """Conv + Relu + GlobalAveragePool + Flatten + Gemm with a symbolic batch dim 'batch'.

    The input is ['batch', 3, 8, 8] and the output ['batch', 5]. input_0.npy has batch 3 while
    each calibration sample has batch 1, so shapes must be resolved per run, not frozen from the
    declared input. Truth: ONNX Runtime.
    """
    rng = np.random.default_rng(1010)
    g = Graph(rng)
    h = g.node("Relu", [g.conv("input", 3, 6, 3, pads=[1, 1, 1, 1])])
    h = g.node("Flatten", [g.node("GlobalAveragePool", [h])], axis=1)
    g.gemm(h, 6, 5)
    g.nodes[-1].output[0] = "output"
    m = g.model("dynamic_batch", [vi("input", ["batch", 3, 8, 8])], [vi("output", ["batch", 5])])
    return Case(m, [f32(rng.normal(0, 1, (3, 3, 8, 8)))],
                [[f32(rng.normal(0, 1, (1, 3, 8, 8)))] for _ in range(CALIB_SAMPLES)])


CASES = [conv_bn_relu, depthwise_conv, residual_add, gemm_relu, matmul_transformer_block,
         conv_transpose, unknown_op, if_subgraph, external_data, dynamic_batch, conv_lstm]


# ---------------------------------------------------------------------------------------------
# Writing and checking


def save_npz(path, arrays):
    """np.savez stamps zip entries with the current time; this writes fixed timestamps instead."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def session(path, level):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = level
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def write_case(build, out_root):
    name = build.__name__
    case = build()
    d = os.path.join(out_root, name)
    shutil.rmtree(d, ignore_errors=True)  # external data is appended to model.data: start clean
    os.makedirs(d)
    path = os.path.join(d, "model.onnx")

    if case.raw_bytes is not None:
        with open(path, "wb") as f:
            f.write(case.raw_bytes)
    elif case.external_data:
        onnx.save_model(case.model, path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location="model.data", size_threshold=1024)
        os.chmod(os.path.join(d, "model.data"), 0o644)  # onnx creates it 0600
    else:
        onnx.save_model(case.model, path)
    if case.check:
        onnx.checker.check_model(path, full_check=True)  # path form resolves external data

    graph = onnx.load(path, load_external_data=False).graph
    input_names = [i.name for i in graph.input]
    assert len(input_names) == len(case.test_inputs)
    for k, arr in enumerate(case.test_inputs):
        np.save(os.path.join(d, f"input_{k}.npy"), arr)

    report = {"name": name, "inputs": input_names, "ops": [n.op_type for n in graph.node]}
    if case.runnable:
        feeds = dict(zip(input_names, case.test_inputs))
        literal = session(path, ort.GraphOptimizationLevel.ORT_DISABLE_ALL).run(None, feeds)
        for k, arr in enumerate(literal):
            np.save(os.path.join(d, f"output_{k}.npy"), arr)
        optimized = session(path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL).run(None, feeds)
        report["opt_diff"] = max(float(np.max(np.abs(a - b))) for a, b in zip(literal, optimized))
        report["out_stats"] = [(a.shape, float(a.min()), float(a.max())) for a in literal]
    if case.calib is not None:
        cd = os.path.join(d, "calib")
        os.makedirs(cd)
        for i, sample in enumerate(case.calib):
            if len(sample) == 1:
                np.save(os.path.join(cd, f"{i:04d}.npy"), sample[0])
            else:
                save_npz(os.path.join(cd, f"{i:04d}.npz"), dict(zip(input_names, sample)))
    return d, report


def verify_unknown_op(d):
    """The unknown attribute and both unknown fields survive onnx.load and re-serialization."""
    path = os.path.join(d, "model.onnx")
    m = onnx.load(path)
    again = m.SerializeToString()
    with open(path, "rb") as f:
        assert again == f.read(), "unknown_op does not round-trip byte-for-byte"
    assert MODEL_UNKNOWN_FIELD[1] in again
    assert _append_unknown_field(b"", *GRAPH_UNKNOWN_FIELD) in m.graph.SerializeToString()
    attr = m.graph.node[0].attribute[0]
    assert attr.name == "qc_unknown_attr" and attr.HasField("i") and attr.i == 0
    try:
        onnx.checker.check_model(m)
        raise AssertionError("expected the checker to reject qc_unknown_attr")
    except onnx.checker.ValidationError as e:
        assert "qc_unknown_attr" in str(e), e
    # ONNX Runtime rejects the file for qc_unknown_attr; without that attribute, for FancyOp.
    del m.graph.node[0].attribute[:]
    for model, reason in ((path, "qc_unknown_attr"), (m.SerializeToString(), "FancyOp")):
        try:
            session(model, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph types
            assert reason in str(e), e
        else:
            raise AssertionError(f"expected ONNX Runtime to reject the model for {reason}")


def summarize(d, report):
    files = []
    for root, _, names in os.walk(d):
        files += [os.path.join(root, n) for n in names]
    size = sum(os.path.getsize(f) for f in files)
    ops = {}
    for op in report["ops"]:
        ops[op] = ops.get(op, 0) + 1
    op_text = " ".join(f"{k}x{v}" if v > 1 else k for k, v in ops.items())
    diff = f"{report['opt_diff']:.1e}" if "opt_diff" in report else "n/a"
    return f"{report['name']:<26} {len(files):>5} {size:>9} {diff:>9}  {op_text}", size


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "Fixtures", "models"))
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args()
    by_name = {c.__name__: c for c in CASES}
    unknown = [c for c in args.cases if c not in by_name]
    if unknown:
        sys.exit(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    chosen = [by_name[c] for c in args.cases] if args.cases else CASES

    out_root = os.path.normpath(args.out)
    print(f"{'case':<26} {'files':>5} {'bytes':>9} {'opt-diff':>9}  ops", file=sys.stderr)
    total = 0
    for build in chosen:
        d, report = write_case(build, out_root)
        if build is unknown_op:
            verify_unknown_op(d)
        line, size = summarize(d, report)
        total += size
        print(line, file=sys.stderr)
    print(f"{'total':<26} {'':>5} {total:>9}", file=sys.stderr)


if __name__ == "__main__":
    main()
