# Cases for the integer reference kernels: QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger,
# DynamicQuantizeLinear and the com.microsoft QGemm, QLinearAdd/Mul/Concat/GlobalAveragePool/Sigmoid/LeakyRelu:
# uint8/int8 operands, per-tensor and per-channel weights, pads/strides/groups/depthwise, saturation at
# both ends, zero points at the extremes, exact ties in requantization (M = 0.5 with odd output zero
# points), every value of the 8-bit lookup-table ops. Truth: ONNX Runtime with graph optimizations off.
# Combinations ONNX Runtime has no kernel for (int8 x with uint8 weights in QLinearConv/QLinearMatMul,
# per-channel ConvInteger weight zero points, per-row MatMulInteger/QLinearMatMul a parameters) have no case.
import numpy as np
from onnx import TensorProto, helper

from .common import rng, save as save_one

MS = {"com.microsoft": 1}
WRITTEN = []
ELEM = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def save(name, *args, **kwargs):
    """common.save, remembering the case so build() can count what it wrote."""
    WRITTEN.append(name)
    return save_one(name, *args, **kwargs)


def ints(r, dtype, *shape, low=None, high=None):
    """Uniform 8-bit values (the whole range unless low/high narrow it)."""
    info = np.iinfo(dtype)
    return r.integers(info.min if low is None else low, (info.max if high is None else high) + 1, shape).astype(dtype)


def scalar(value, dtype):
    return np.array(value, dtype=dtype)


def qlinearconv(name, x_shape, w_shape, xt=np.uint8, wt=np.int8, per_channel=True, bias=True, xs=0.02, ys=None,
                xz=None, wz=None, yz=None, weights_constant=True, **attributes):
    """QLinearConv of random x and w; ys defaults to a scale that keeps most outputs in range."""
    r = rng(name)
    x, w = ints(r, xt, *x_shape), ints(r, wt, *w_shape)
    m = w_shape[0]
    ws = r.uniform(0.002, 0.01, m).astype(np.float32) if per_channel else np.float32(0.005)
    xz = scalar(xz if xz is not None else (128 if xt == np.uint8 else 3), xt)
    wz = wz if wz is not None else (np.zeros(m, wt) if per_channel else scalar(0, wt))
    yz = scalar(yz if yz is not None else (120 if xt == np.uint8 else -5), xt)
    depth = int(np.prod(w_shape[1:]))
    ys = np.float32(ys if ys is not None else xs * 0.005 * 128 * np.sqrt(depth) / 40)
    inits = {"xs": np.float32(xs), "xz": xz, "ws": ws, "wz": np.asarray(wz, wt), "ys": ys, "yz": yz}
    names = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"]
    if bias:
        inits["b"] = r.integers(-20000, 20000, m).astype(np.int32)
        names.append("b")
    inputs = [("x", x)]
    if weights_constant:
        inits["w"] = w
    else:
        inputs.append(("w", w))
    save(name, [helper.make_node("QLinearConv", names, ["y"], **attributes)], inputs, [("y", ELEM[xt])], inits)


def conv_cases():
    qlinearconv("qlinearconv_u8s8_per_channel", (1, 8, 9, 9), (16, 8, 3, 3), pads=[1, 1, 1, 1])
    qlinearconv("qlinearconv_u8u8_strided_dilated", (2, 5, 11, 10), (6, 5, 3, 2), wt=np.uint8, per_channel=False,
                wz=131, strides=[2, 1], dilations=[2, 2], pads=[0, 1, 2, 0])
    qlinearconv("qlinearconv_s8s8_groups_weight_zero_points", (1, 6, 8, 7), (4, 3, 3, 3), xt=np.int8, bias=False,
                wz=np.array([0, 5, -7, 2], np.int8), group=2, pads=[1, 0, 1, 2])
    qlinearconv("qlinearconv_depthwise_multiplier", (1, 4, 10, 9), (8, 1, 3, 3), group=4, strides=[2, 2], pads=[1, 1, 1, 1])
    qlinearconv("qlinearconv_depthwise_s8", (2, 6, 7, 7), (6, 1, 5, 5), xt=np.int8, group=6, pads=[2, 2, 2, 2])
    qlinearconv("qlinearconv_1d_same_upper", (2, 3, 17), (4, 3, 5), auto_pad="SAME_UPPER", strides=[2])
    qlinearconv("qlinearconv_3d", (1, 3, 5, 6, 4), (4, 3, 3, 2, 2), pads=[1, 0, 1, 1, 1, 0])
    qlinearconv("qlinearconv_pointwise_odd_depth", (1, 301, 7, 7), (40, 301, 1, 1))
    qlinearconv("qlinearconv_deep_3x3", (1, 64, 12, 12), (24, 64, 3, 3), pads=[1, 1, 1, 1], strides=[1, 2])
    qlinearconv("qlinearconv_runtime_weights", (1, 4, 6, 6), (5, 4, 3, 3), weights_constant=False, pads=[1, 1, 1, 1])
    # Outputs far past both ends of the range; zero points at the extremes.
    qlinearconv("qlinearconv_saturation_u8", (1, 4, 6, 6), (6, 4, 3, 3), xz=255, yz=0, ys=0.002)
    qlinearconv("qlinearconv_saturation_s8", (1, 4, 6, 6), (6, 4, 3, 3), xt=np.int8, xz=-128, yz=127, ys=0.002)
    # M = 0.25 * 2 / 1 = 0.5 exactly and 1x1 weights of 1: acc = x - x_zero, half of them odd (exact ties).
    r = rng("qlinearconv_ties")
    for xt, yz in ((np.uint8, 3), (np.int8, -7)):
        name = f"qlinearconv_ties_{'u8' if xt == np.uint8 else 's8'}"
        x = np.arange(np.iinfo(xt).min, np.iinfo(xt).max + 1).astype(xt).reshape(1, 1, 16, 16)
        inits = {"xs": np.float32(0.25), "xz": scalar(r.integers(0, 9) if xt == np.uint8 else 1, xt), "w": np.ones((1, 1, 1, 1), np.int8),
                 "ws": np.float32(2), "wz": scalar(0, np.int8), "ys": np.float32(1), "yz": scalar(yz, xt)}
        save(name, [helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"])], [("x", x)],
             [("y", ELEM[xt])], inits)


def qlinearmatmul(name, a_shape, b_shape, at=np.uint8, bt=np.int8, per_column=True, az=None, yz=None, ys=None, scales=None):
    r = rng(name)
    a, b = ints(r, at, *a_shape), ints(r, bt, *b_shape)
    n = b_shape[-1]
    bs = r.uniform(0.002, 0.01, n).astype(np.float32) if per_column else np.float32(0.006)
    bz = ints(r, bt, n, low=-10 if bt == np.int8 else 120, high=10 if bt == np.int8 else 135) if per_column else scalar(0, bt)
    k = a_shape[-1]
    as_ = np.float32(0.03)
    inits = {"as": as_, "az": scalar(az if az is not None else (128 if at == np.uint8 else -2), at), "b": b, "bs": bs, "bz": bz,
             "ys": np.float32(ys if ys is not None else 0.03 * 0.006 * 128 * np.sqrt(k) / 40), "yz": scalar(yz if yz is not None else (128 if at == np.uint8 else 0), at)}
    if scales:
        inits.update(scales)
    save(name, [helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])], [("a", a)],
         [("y", ELEM[at])], inits)


def matmul_cases():
    qlinearmatmul("qlinearmatmul_u8s8_per_column", (5, 37), (37, 29))
    qlinearmatmul("qlinearmatmul_s8s8_batch_folded", (2, 3, 4, 17), (17, 6), at=np.int8)
    qlinearmatmul("qlinearmatmul_s8s8_batched_b", (2, 3, 4, 17), (3, 17, 6), at=np.int8, per_column=False)
    qlinearmatmul("qlinearmatmul_u8u8_per_tensor", (9, 70), (70, 50), bt=np.uint8, per_column=False)
    qlinearmatmul("qlinearmatmul_vector_a", (33,), (33, 7))
    qlinearmatmul("qlinearmatmul_saturation_u8", (6, 20), (20, 9), az=255, yz=255, ys=0.0005)
    qlinearmatmul("qlinearmatmul_saturation_s8", (6, 20), (20, 9), at=np.int8, az=127, yz=-128, ys=0.0005)
    # a_scale 0.5, b 1x1 identity of scale 1, y_scale 1: y = round_half_even((a - a_zero) / 2) + y_zero.
    for at, yz in ((np.uint8, 5), (np.int8, -3)):
        name = f"qlinearmatmul_ties_{'u8' if at == np.uint8 else 's8'}"
        a = np.arange(np.iinfo(at).min, np.iinfo(at).max + 1).astype(at).reshape(256, 1)
        inits = {"as": np.float32(0.5), "az": scalar(2 if at == np.uint8 else -1, at), "b": np.ones((1, 1), np.int8), "bs": np.float32(1),
                 "bz": scalar(0, np.int8), "ys": np.float32(1), "yz": scalar(yz, at)}
        save(name, [helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])], [("a", a)],
             [("y", ELEM[at])], inits)


def integer_cases():
    r = rng("matmulinteger")
    for name, at, bt, a_shape, b_shape, bz in (
            ("matmulinteger_u8u8", np.uint8, np.uint8, (7, 40), (40, 13), scalar(140, np.uint8)),
            ("matmulinteger_u8s8_per_column", np.uint8, np.int8, (3, 5, 21), (21, 11), ints(r, np.int8, 11, low=-4, high=4)),
            ("matmulinteger_s8s8_batched", np.int8, np.int8, (2, 4, 19), (2, 19, 8), scalar(-3, np.int8)),
            ("matmulinteger_s8u8", np.int8, np.uint8, (6, 9), (9, 5), scalar(250, np.uint8))):
        a, b = ints(r, at, *a_shape), ints(r, bt, *b_shape)
        save(name, [helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])], [("a", a)], [("y", TensorProto.INT32)],
             {"b": b, "az": scalar(7 if at == np.uint8 else -128, at), "bz": bz})
    save("matmulinteger_no_zero_points", [helper.make_node("MatMulInteger", ["a", "b"], ["y"])], [("a", ints(r, np.uint8, 4, 6))],
         [("y", TensorProto.INT32)], {"b": ints(r, np.uint8, 6, 3)})
    for name, xt, wt, attributes in (
            ("convinteger_u8u8", np.uint8, np.uint8, {"pads": [1, 1, 1, 1], "strides": [2, 1]}),
            ("convinteger_s8s8_groups", np.int8, np.int8, {"group": 2, "dilations": [2, 1]}),
            ("convinteger_u8s8_depthwise", np.uint8, np.int8, {"group": 4, "pads": [0, 1, 2, 1]})):
        x = ints(r, xt, 1, 4, 9, 8)
        w = ints(r, wt, 4, 4 // attributes.get("group", 1), 3, 3)
        save(name, [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], **attributes)], [("x", x)], [("y", TensorProto.INT32)],
             {"w": w, "xz": scalar(255 if xt == np.uint8 else -128, xt), "wz": scalar(3, wt)})
    for name, x in (("dynamicquantizelinear_mixed", r.standard_normal((4, 33)).astype(np.float32) * 3),
                    ("dynamicquantizelinear_positive", r.uniform(0.5, 2, (3, 17)).astype(np.float32)),
                    ("dynamicquantizelinear_negative", r.uniform(-9, -1, (20,)).astype(np.float32)),
                    ("dynamicquantizelinear_zeros", np.zeros((2, 5), np.float32))):
        save(name, [helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], [("x", x)],
             [("y", TensorProto.UINT8), "s", ("z", TensorProto.UINT8)])


def qgemm_cases():
    """com.microsoft QGemm (ORT's QOperator Gemm): transA/transB, alpha, int32 bias of every broadcast shape,
    8-bit or float output."""
    r = rng("qgemm")
    for name, at, bt, m, k, n, attributes, bias_shape, output in (
            ("qgemm_u8s8_per_column_bias", np.uint8, np.int8, 6, 40, 9, {}, (9,), True),
            ("qgemm_u8s8_trans_b_alpha", np.uint8, np.int8, 5, 33, 7, {"transB": 1, "alpha": 0.5}, (1, 7), True),
            ("qgemm_s8s8_trans_a_bias_matrix", np.int8, np.int8, 4, 17, 6, {"transA": 1}, (4, 6), True),
            ("qgemm_u8u8_bias_column", np.uint8, np.uint8, 3, 20, 5, {}, (3, 1), True),
            ("qgemm_u8s8_float_output", np.uint8, np.int8, 7, 25, 8, {"transB": 1}, (), False)):
        a = ints(r, at, *((k, m) if attributes.get("transA") else (m, k)))
        b = ints(r, bt, *((n, k) if attributes.get("transB") else (k, n)))
        inits = {"as": np.float32(0.02), "az": scalar(131 if at == np.uint8 else 4, at), "b": b,
                 "bs": r.uniform(0.002, 0.01, n).astype(np.float32), "bz": ints(r, bt, n, low=-3 if bt == np.int8 else 125, high=3 if bt == np.int8 else 131),
                 "c": r.integers(-3000, 3000, bias_shape).astype(np.int32)}
        names = ["a", "as", "az", "b", "bs", "bz", "c"]
        if output:
            inits.update({"ys": np.float32(0.02 * 0.006 * 128 * np.sqrt(k) / 40), "yz": scalar(128 if at == np.uint8 else -1, at)})
            names += ["ys", "yz"]
        node = helper.make_node("QGemm", names, ["y"], domain="com.microsoft", **attributes)
        save(name, [node], [("a", a)], [("y", ELEM[at] if output else TensorProto.FLOAT)], inits, extra_opsets=MS)


def binary(op, name, a_shape, b_shape, t, scales=(0.05, 0.03, 0.04), zeros=None, a=None, b=None):
    r = rng(name)
    a = ints(r, t, *a_shape) if a is None else a
    b = ints(r, t, *b_shape) if b is None else b
    zeros = zeros if zeros is not None else ((128, 100, 140) if t == np.uint8 else (-3, 10, 0))
    inits = {"as": np.float32(scales[0]), "az": scalar(zeros[0], t), "bs": np.float32(scales[1]), "bz": scalar(zeros[1], t),
             "cs": np.float32(scales[2]), "cz": scalar(zeros[2], t)}
    node = helper.make_node(op, ["a", "as", "az", "b", "bs", "bz", "cs", "cz"], ["c"], domain="com.microsoft")
    save(name, [node], [("a", a), ("b", b)], [("c", ELEM[t])], inits, extra_opsets=MS)


def elementwise_cases():
    for op in ("QLinearAdd", "QLinearMul"):
        low = op.lower()
        mul_scales = (0.05, 0.03, 0.02)
        scales = mul_scales if op == "QLinearMul" else (0.05, 0.03, 0.04)
        binary(op, f"{low}_u8_same_shape", (3, 40), (3, 40), np.uint8, scales)
        binary(op, f"{low}_s8_per_channel_b", (2, 5, 4, 6), (1, 5, 1, 1), np.int8, scales)
        binary(op, f"{low}_u8_broadcast_a", (1, 5, 1, 1), (2, 5, 4, 6), np.uint8, scales)
        binary(op, f"{low}_s8_scalar_b", (7, 9), (), np.int8, scales)
        binary(op, f"{low}_u8_saturation", (4, 64), (4, 64), np.uint8, (0.2, 0.3, 0.01), zeros=(0, 255, 128))
        # Exact ties: scale ratios 0.5 and odd output zero points.
        grid = np.arange(256).astype(np.uint8).reshape(16, 16)
        binary(op, f"{low}_u8_ties", (16, 16), (16, 16), np.uint8, (0.5, 1.0, 1.0), zeros=(100, 9, 3), a=grid, b=np.full((16, 16), 10, np.uint8))
        binary(op, f"{low}_s8_ties", (16, 16), (16, 16), np.int8, (0.5, 0.25, 0.5), zeros=(-1, 2, -7),
               a=grid.astype(np.int8), b=grid.T.copy().astype(np.int8))


def table_cases():
    for t in (np.uint8, np.int8):
        tag = "u8" if t == np.uint8 else "s8"
        every = np.arange(np.iinfo(t).min, np.iinfo(t).max + 1).astype(t).reshape(1, 4, 8, 8)
        zeros = (128, 0) if t == np.uint8 else (0, -128)
        for op, attributes, scales in (("QLinearSigmoid", {}, (0.05, 1 / 256)), ("QLinearLeakyRelu", {"alpha": 0.1}, (0.03, 0.025)),
                                       ("QLinearLeakyRelu", {}, (0.03, 0.02))):
            name = f"{op.lower()}_{tag}" + ("_alpha" if attributes else "")
            node = helper.make_node(op, ["x", "xs", "xz", "ys", "yz"], ["y"], domain="com.microsoft", **attributes)
            save(name, [node], [("x", every)], [("y", ELEM[t])],
                 {"xs": np.float32(scales[0]), "xz": scalar(zeros[0], t), "ys": np.float32(scales[1]),
                  "yz": scalar(zeros[1] if op == "QLinearSigmoid" else zeros[0] // 2, t)}, extra_opsets=MS)
        r = rng("qlinearconcat_" + tag)
        parts = [ints(r, t, 2, c, 3, 4) for c in (3, 1, 2)]
        inputs = ["ys", "yz"]
        inits = {"ys": np.float32(0.04), "yz": scalar(128 if t == np.uint8 else 0, t)}
        for k, (s, z) in enumerate(((0.02, 120), (0.04, 128 if t == np.uint8 else 0), (0.1, 7))):  # the second is copied as is
            inputs += [f"x{k}", f"s{k}", f"z{k}"]
            inits[f"s{k}"], inits[f"z{k}"] = np.float32(s), scalar(z, t)
        node = helper.make_node("QLinearConcat", inputs, ["y"], domain="com.microsoft", axis=1 if t == np.uint8 else -3)
        save("qlinearconcat_" + tag, [node], [(f"x{k}", p) for k, p in enumerate(parts)], [("y", ELEM[t])], inits, extra_opsets=MS)
        for name, shape, attributes, scales in ((f"qlinearglobalaveragepool_{tag}", (2, 5, 6, 7), {}, (0.05, 0.01)),
                                                (f"qlinearglobalaveragepool_{tag}_channels_last", (2, 4, 3, 6), {"channels_last": 1}, (0.05, 0.02)),
                                                (f"qlinearglobalaveragepool_{tag}_saturation", (1, 3, 4, 4), {}, (0.1, 0.001))):
            x = ints(r, t, *shape)
            node = helper.make_node("QLinearGlobalAveragePool", ["x", "xs", "xz", "ys", "yz"], ["y"], domain="com.microsoft", **attributes)
            save(name, [node], [("x", x)], [("y", ELEM[t])],
                 {"xs": np.float32(scales[0]), "xz": scalar(100 if t == np.uint8 else -20, t), "ys": np.float32(scales[1]),
                  "yz": scalar(131 if t == np.uint8 else 3, t)}, extra_opsets=MS)
    # QLinearSoftmax: along the last axis (opset 13 semantics) and over the flattened trailing dims
    # (opset 11, axis 1); output scale 1/256 as ORT's quantizer gives Softmax outputs.
    for t in (np.uint8, np.int8):
        tag = "u8" if t == np.uint8 else "s8"
        x = ints(rng("qlinearsoftmax_" + tag), t, 2, 3, 16)
        # No axis at opset 11: the default is -1 whatever the opset, as ORT's quantizer writes it.
        for opset, axis in ((13, -1), (11, 1), (11, None)):
            attributes = {"opset": opset} if axis is None else {"opset": opset, "axis": axis}
            node = helper.make_node("QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"], ["y"], domain="com.microsoft", **attributes)
            save(f"qlinearsoftmax_{tag}_opset{opset}" + ("_default_axis" if axis is None else ""), [node], [("x", x)], [("y", ELEM[t])],
                 {"xs": np.float32(0.08), "xz": scalar(120 if t == np.uint8 else -5, t), "ys": np.float32(1 / 256),
                  "yz": scalar(0 if t == np.uint8 else -128, t)}, extra_opsets=MS)
    # Mean of 4 values with x_scale = y_scale: sums of x - x_zero that are 2 mod 4 are exact ties.
    x = np.arange(64).astype(np.uint8).reshape(1, 16, 2, 2)
    node = helper.make_node("QLinearGlobalAveragePool", ["x", "xs", "xz", "ys", "yz"], ["y"], domain="com.microsoft")
    save("qlinearglobalaveragepool_ties", [node], [("x", x)], [("y", TensorProto.UINT8)],
         {"xs": np.float32(0.5), "xz": scalar(1, np.uint8), "ys": np.float32(0.5), "yz": scalar(5, np.uint8)}, extra_opsets=MS)


def build():
    WRITTEN.clear()
    conv_cases()
    matmul_cases()
    integer_cases()
    qgemm_cases()
    elementwise_cases()
    table_cases()
    return len(WRITTEN)
