# Cases for the elementwise, activation, normalization, reduction, shape and control-flow kernels: every
# op, its opset variants (attribute vs input arguments), broadcasting patterns, int64 shape chains,
# negative axes and odd shapes. Truth is ONNX Runtime. Needs: python with numpy, onnx, onnxruntime.
import numpy as np
from onnx import TensorProto as T
from onnx import helper

from .common import node_inputs, rng, save

ONNX_TYPE = {np.dtype(k): v for k, v in [
    ("float32", T.FLOAT), ("float64", T.DOUBLE), ("float16", T.FLOAT16), ("int8", T.INT8), ("uint8", T.UINT8),
    ("int16", T.INT16), ("int32", T.INT32), ("int64", T.INT64), ("bool", T.BOOL)]}
CASES = []


def X(a):
    """A runtime input."""
    return ("x", np.asarray(a))


def C(a):
    """An initializer (a constant input, as exporters write weights and shape arguments)."""
    return ("c", np.asarray(a))


def I64(*v):
    return np.array(v, dtype=np.int64)


def randn(name, *shape, scale=1.0):
    return (rng(name).standard_normal(shape) * scale).astype(np.float32)


def case(name, op, args, outs=1, types=None, opset=13, **attrs):
    """Registers a one-node case: args are X(...)/C(...)/None (an omitted optional input); outputs get
    `types` (default: the first argument's type)."""
    CASES.append(lambda: build_case(name, op, args, outs, types, opset, attrs))


def build_case(name, op, args, outs, types, opset, attrs):
    names, inputs, inits = node_inputs(args)
    out_names = [f"y{k}" for k in range(outs)]
    types = types or [ONNX_TYPE[args[0][1].dtype]] * outs
    save(name, [helper.make_node(op, names, out_names, **attrs)], inputs, list(zip(out_names, types)),
         initializers=inits, opset=opset)


def graph_case(name, nodes, inputs, outputs, opset=17):
    CASES.append(lambda: save(name, nodes, inputs, outputs, opset=opset))


# Binary arithmetic and broadcasting patterns.
case("add_same_shape", "Add", [X(randn("a1", 2, 3, 5)), X(randn("a2", 2, 3, 5))])
case("add_channel_broadcast", "Add", [X(randn("a3", 2, 3, 4, 5)), C(randn("a4", 3, 1, 1))])
case("sub_scalar", "Sub", [X(randn("s1", 3, 4)), C(np.float32(0.25))])
case("sub_scalar_first", "Sub", [C(np.float32(1.0)), X(randn("s2", 3, 4))])
case("mul_outer", "Mul", [X(randn("m1", 4, 1)), X(randn("m2", 1, 5))])
case("mul_odd_broadcast", "Mul", [X(randn("m3", 2, 1, 3, 1)), X(randn("m4", 5, 1, 7))])
case("div_trailing", "Div", [X(randn("d1", 2, 3, 4)), X(randn("d2", 4) + 3)])
case("div_rank0_both", "Div", [X(np.float32(3.0)), X(np.float32(-2.0))])
case("add_empty_dim", "Add", [X(np.zeros((0, 3), np.float32)), X(randn("e1", 3))])
case("add_int64", "Add", [X(I64(3, -4, 5)), C(I64(10))])
case("sub_int64_shape", "Sub", [X(I64(1, 3, 320, 320)), C(I64(0, 0, 1, 1))])
case("mul_int32", "Mul", [X(np.arange(6, dtype=np.int32).reshape(2, 3)), X(np.array([1, -2, 3], np.int32))])
case("div_int64_truncates", "Div", [X(I64(-7, 7, -8, 9, 0)), X(I64(2, -2, 3, 4, 5))])
case("add_double", "Add", [X(rng("dd").standard_normal((2, 3))), X(rng("de").standard_normal((3,)))])
case("pow_square_const", "Pow", [X(randn("p1", 2, 8)), C(np.float32(2.0))], opset=12)
case("pow_broadcast", "Pow", [X(np.abs(randn("p2", 3, 4)) + 0.1), X(randn("p3", 4))])
case("pow_int64_exponent", "Pow", [X(randn("p4", 5)), C(I64(3))])
case("pow_int64_base", "Pow", [X(I64(2, -3, 4, 5)), C(I64(3, 2, 0, 1))])
case("max_variadic", "Max", [X(randn("x1", 2, 3)), X(randn("x2", 3)), X(randn("x3", 1, 1))])
case("min_variadic", "Min", [X(randn("n1", 4, 1)), X(randn("n2", 3))])
case("max_int64", "Max", [X(I64(1, 5, -3)), C(I64(2))])
case("min_single", "Min", [X(randn("n3", 3, 2))])
case("sum_variadic", "Sum", [X(randn("u1", 2, 3)), X(randn("u2", 3)), X(randn("u3", 2, 1))])
case("mean_variadic", "Mean", [X(randn("u4", 2, 3)), X(randn("u5", 3)), X(randn("u6", 2, 1))])
case("prelu_channel", "PRelu", [X(randn("r1", 2, 3, 4, 4)), C(randn("r2", 3, 1, 1))])
case("prelu_scalar_slope", "PRelu", [X(randn("r3", 7, 3)), C(np.array([0.25], np.float32))])

# Unary math and activations.
WIDE = randn("wide", 3, 17, scale=6.0)
case("sqrt", "Sqrt", [X(np.abs(WIDE))])
case("exp", "Exp", [X(WIDE)])
case("log", "Log", [X(np.abs(WIDE) + 1e-3)])
case("erf", "Erf", [X(randn("erf", 4, 9, scale=2.0))])
case("reciprocal", "Reciprocal", [X(WIDE + 0.5)])
case("neg_float", "Neg", [X(WIDE)])
case("neg_int64", "Neg", [X(I64(3, -2, 0))])
case("abs_float", "Abs", [X(WIDE)])
case("abs_int32", "Abs", [X(np.array([[-3, 4], [0, -9]], np.int32))])
case("floor", "Floor", [X(WIDE)])
case("ceil", "Ceil", [X(WIDE)])
case("sigmoid", "Sigmoid", [X(WIDE)])
case("tanh", "Tanh", [X(WIDE)])
case("softplus", "Softplus", [X(np.concatenate([WIDE.ravel(), np.float32([95.0, -95.0])]))])
case("elu", "Elu", [X(WIDE)], alpha=0.5)
case("leakyrelu_default", "LeakyRelu", [X(WIDE)])
case("leakyrelu_alpha", "LeakyRelu", [X(WIDE)], alpha=0.2)
case("hardsigmoid_ppocr", "HardSigmoid", [X(WIDE)], opset=11, alpha=0.16666670143604279, beta=0.5)
case("hardsigmoid_default", "HardSigmoid", [X(WIDE)])
case("hardswish", "HardSwish", [X(WIDE)], opset=14)
case("selu", "Selu", [X(WIDE)])
case("shrink", "Shrink", [X(WIDE)], lambd=1.5, bias=0.25)
case("sign_float", "Sign", [X(np.float32([-2.5, 0.0, 3.0, -0.0]))])
case("sign_int64", "Sign", [X(I64(-7, 0, 9))])
case("gelu_none", "Gelu", [X(WIDE)], opset=20)
case("gelu_tanh", "Gelu", [X(WIDE)], opset=20, approximate="tanh")
case("clip_opset6_attributes", "Clip", [X(WIDE)], opset=6, min=-0.5, max=0.5)
case("clip_opset11_inputs", "Clip", [X(WIDE), C(np.float32(0.0)), C(np.float32(6.0))], opset=11)
case("clip_opset13_max_only", "Clip", [X(WIDE), None, C(np.float32(1.0))])
case("clip_opset13_unbounded", "Clip", [X(WIDE)])
case("clip_int64", "Clip", [X(I64(-5, 0, 3, 9)), C(I64(-1)), C(I64(4))])

# Comparisons, logic and selection.
CA, CB = np.float32([[1, 2, 3], [4, 5, 6]]), np.float32([2, 2, 7])
case("equal_float", "Equal", [X(CA), X(CB)], types=[T.BOOL])
case("equal_int64", "Equal", [X(I64(1, 2, 3)), C(I64(2))], types=[T.BOOL])
case("less", "Less", [X(CA), X(CB)], types=[T.BOOL])
case("greater_int32", "Greater", [X(np.int32([[1], [5]])), X(np.int32([0, 5, 9]))], types=[T.BOOL])
case("lessorequal", "LessOrEqual", [X(CA), X(CB)], types=[T.BOOL], opset=16)
case("greaterorequal", "GreaterOrEqual", [X(CA), X(CB)], types=[T.BOOL], opset=16)
BA, BB = np.array([[True, False], [False, True]]), np.array([True, False])
case("not", "Not", [X(BA)])
case("and_broadcast", "And", [X(BA), X(BB)])
case("or_broadcast", "Or", [X(BA), X(BB)])
case("where_broadcast", "Where", [X(rng("wc").random((2, 1, 4)) > 0.5), X(randn("wx", 3, 4)), C(np.float32(-1))],
     types=[T.FLOAT])
case("where_int64", "Where", [X(np.array([True, False, True])), X(I64(1, 2, 3)), X(I64(-1, -2, -3))], types=[T.INT64])

# Trilu (opset 14): upper by default, lower with upper=0; k shifts the diagonal, past a corner all or nothing.
case("trilu_upper", "Trilu", [X(randn("tri", 3, 4))], opset=14)
case("trilu_lower_k", "Trilu", [X(randn("tril", 4, 3)), C(np.int64(-1))], opset=14, upper=0)
case("trilu_batched_int64", "Trilu", [X(np.arange(30, dtype=np.int64).reshape(2, 3, 5)), C(np.int64(2))], opset=14)
case("trilu_k_past_corner", "Trilu", [X(randn("trik", 2, 3, 3)), C(np.int64(-9))], opset=14, upper=0)

# Mod (opset 13): fmod=0 takes the divisor's sign (integers), fmod=1 the dividend's (floats too).
case("mod_int64_floored", "Mod", [X(I64(-7, 7, -7, 7, 0, 9)), X(I64(3, -3, -3, 3, 5, 4))])
case("mod_int32_broadcast", "Mod", [X(np.arange(-6, 6, dtype=np.int32).reshape(3, 4)), C(np.array([4, -3, 5, 7], np.int32))])
case("mod_int64_fmod", "Mod", [X(I64(-7, 7, -7, 7)), X(I64(3, -3, -3, 3))], fmod=1)
case("mod_float_fmod", "Mod", [X(randn("mo1", 3, 4) * 5), C(np.float32(1.5))], fmod=1)

# ScatterND (opset 18): slices replaced or combined at index tuples, negative indices from the end.
case("scatternd_rows", "ScatterND", [X(randn("sn1", 4, 3)), C(I64(1, -1).reshape(2, 1)), X(randn("sn2", 2, 3))], opset=18)
case("scatternd_elements", "ScatterND", [X(randn("sn3", 2, 3, 2)), C(I64(0, 1, 1, 2, 1, 0).reshape(3, 2)), X(randn("sn4", 3, 2))], opset=18)
case("scatternd_add_repeated", "ScatterND", [X(randn("sn5", 3, 2)), C(I64(0, 0, 2).reshape(3, 1)), X(randn("sn6", 3, 2))], opset=18, reduction="add")
case("scatternd_max_int64", "ScatterND", [X(I64(1, 5, 3, 7)), C(I64(0, 3).reshape(2, 1)), X(I64(4, 2))], opset=18, reduction="max")
case("scatternd_whole", "ScatterND", [X(randn("sn7", 2, 3)), C(np.zeros((1, 0), np.int64)), X(randn("sn8", 1, 2, 3))], opset=18)

# Elementwise activations and math exporters emit (opset 13): Round's halves go to even.
case("round_halves", "Round", [X(np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51, 3.7], np.float32))])
case("softsign", "Softsign", [X(randn("ss1", 3, 5) * 3)])
case("mish", "Mish", [X(randn("mi1", 4, 6) * 4)], opset=18)
case("celu_alpha", "Celu", [X(randn("ce1", 3, 5) * 3)], alpha=0.7)
case("thresholded_relu", "ThresholdedRelu", [X(randn("tr1", 3, 5) * 2)], alpha=0.5)
case("tan", "Tan", [X(randn("ta1", 3, 5))])
case("atan", "Atan", [X(randn("at1", 3, 5) * 5)])
# Inverse and hyperbolic trigonometry, with arguments outside acos/asin/acosh/atanh's domains (NaN there).
TRIG = np.float32([-2.0, -1.0, -0.99, -0.3, 0.0, 0.25, 0.999, 1.0, 1.5, 4.0, -6.0, 9.0])
for trig in ("Acos", "Asin", "Acosh", "Asinh", "Atanh", "Cosh", "Sinh"):
    case(trig.lower(), trig, [X(TRIG.reshape(3, 4))])
# IsNaN and IsInf (each sign alone too), CastLike (to int32, to bool, from int64), EyeLike with offsets,
# Xor, RMSNormalization (opset 23) over the last two axes with a broadcast scale, Swish (opset 24).
SPECIAL = np.float32([np.nan, np.inf, -np.inf, 0.0, -1.5, 3e38, -np.nan, 1.0])
case("isnan", "IsNaN", [X(SPECIAL)], types=[T.BOOL])
case("isinf", "IsInf", [X(SPECIAL)], types=[T.BOOL])
case("isinf_negative_only", "IsInf", [X(SPECIAL)], types=[T.BOOL], detect_positive=0, opset=20)
case("isinf_positive_only", "IsInf", [X(SPECIAL)], types=[T.BOOL], detect_negative=0)
case("castlike_float_to_int32", "CastLike", [X(randn("cl1", 3, 4) * 40), C(np.zeros(1, np.int32))], types=[T.INT32], opset=15)
case("castlike_to_bool", "CastLike", [X(np.float32([0, 1.5, -0.0, 2])), C(np.array([True]))], types=[T.BOOL], opset=15)
case("castlike_int64_to_float", "CastLike", [X(I64(-3, 16777217, 7)), X(randn("cl2", 2))], types=[T.FLOAT], opset=19)
case("eyelike", "EyeLike", [X(randn("ey1", 3, 4))])
case("eyelike_k_dtype", "EyeLike", [X(randn("ey2", 4, 3))], types=[T.INT64], k=-1, dtype=T.INT64)
case("eyelike_k_beyond", "EyeLike", [X(I64(*range(6)).reshape(2, 3))], k=5)
case("xor_broadcast", "Xor", [X(BA), X(BB)])
case("rms_normalization", "RMSNormalization", [X(randn("rms1", 2, 3, 4, 5) * 3), X(randn("rms2", 1, 5))], axis=-2, epsilon=1e-3, opset=23)
case("rms_normalization_last_axis", "RMSNormalization", [X(randn("rms3", 4, 6)), C(randn("rms4", 6))], opset=23)
case("swish_alpha", "Swish", [X(randn("sw1", 3, 5) * 4)], alpha=0.7, opset=24)

# DepthToSpace (DCR and CRD) and SpaceToDepth (opset 13): channel blocks to spatial tiles and back.
case("depth_to_space_dcr", "DepthToSpace", [X(randn("d2s1", 2, 8, 3, 2))], blocksize=2)
case("depth_to_space_crd", "DepthToSpace", [X(randn("d2s2", 1, 18, 2, 3))], blocksize=3, mode="CRD")
case("space_to_depth", "SpaceToDepth", [X(randn("s2d1", 2, 3, 4, 6))], blocksize=2)

# GatherND (opset 13): whole slices, single elements, negative indices, batch_dims.
case("gathernd_slices", "GatherND", [X(randn("gn1", 4, 3, 2)), C(I64(1, -1, 2).reshape(3, 1))])
case("gathernd_elements", "GatherND", [X(randn("gn2", 3, 4)), C(I64(0, 1, 2, 3, -1, 0).reshape(3, 2))])
case("gathernd_batch_dims", "GatherND", [X(randn("gn3", 2, 3, 4)), C(I64(1, 0, 2, 2).reshape(2, 2, 1))], batch_dims=1)
case("gathernd_int64_nested", "GatherND", [X(np.arange(24, dtype=np.int64).reshape(2, 3, 4)), C(I64(0, 2, 1, 1, 0, 0, 1, 2).reshape(2, 2, 2))])

# ScatterElements (opset 18): GatherElements' inverse, along an axis, with reductions.
case("scatter_elements_axis1", "ScatterElements", [X(randn("se1", 3, 4)), C(I64(1, 0, 3, -1, 2, 0).reshape(3, 2)), X(randn("se2", 3, 2))], opset=18, axis=1)
case("scatter_elements_add", "ScatterElements", [X(randn("se3", 4, 2)), C(I64(0, 1, 0, 1, 3, 3).reshape(3, 2)), X(randn("se4", 3, 2))], opset=18, reduction="add")
case("scatter_elements_max_int64", "ScatterElements", [X(I64(5, 1, 7, 3)), C(I64(1, 1, 3)), X(I64(4, 9, 2))], opset=18, reduction="max")

# Sin, Cos (opset 7): sinusoidal position embeddings, over a few periods.
case("sin", "Sin", [X(randn("sin1", 3, 7) * 4)])
case("cos", "Cos", [X(randn("cos1", 3, 7) * 4)])

# CumSum (opset 14): along an axis, exclusive and reverse, integers (position ids from a mask).
case("cumsum_axis1", "CumSum", [X(randn("cs1", 2, 5, 3)), C(np.int64(1))], opset=14)
case("cumsum_exclusive_reverse", "CumSum", [X(randn("cs2", 4, 6)), C(np.int32(-1))], opset=14, exclusive=1, reverse=1)
case("cumsum_int64_mask", "CumSum", [X(I64(1, 1, 1, 0, 0, 1, 1, 1, 1, 0).reshape(2, 5)), C(np.int64(1))], opset=14)
case("cumsum_reverse_int32", "CumSum", [X(np.arange(12, dtype=np.int32).reshape(3, 4)), C(np.int64(0))], opset=14, reverse=1)

# Einsum (opset 12): matrix products, attention scores, transposes, sums, outer products, implicit
# outputs, ellipsis broadcasting, three operands.
for name, equation, shapes in (("einsum_matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
                               ("einsum_attention", "bhqd,bhkd->bhqk", [(2, 3, 5, 4), (2, 3, 6, 4)]),
                               ("einsum_transpose", "ij->ji", [(3, 4)]),
                               ("einsum_implicit", "ij,jk", [(3, 4), (4, 5)]),
                               ("einsum_dot_implicit", "i,i", [(7,), (7,)]),
                               ("einsum_outer", "i,j->ij", [(3,), (4,)]),
                               ("einsum_reduce", "bij->b", [(2, 3, 4)]),
                               ("einsum_ellipsis_broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (1, 5, 4, 2)]),
                               ("einsum_three", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
                               ("einsum_spaces_sum_shared", "bi, bj -> b", [(3, 4), (3, 5)])):
    case(name, "Einsum", [X(randn(name + str(k), *s)) for k, s in enumerate(shapes)], opset=12, equation=equation)

# Softmax family: opset < 13 flattens at axis, opset >= 13 normalises one axis.
SM = randn("softmax", 2, 3, 4, scale=4.0)
for opset in (11, 13):
    for op in ("Softmax", "LogSoftmax"):
        case(f"{op.lower()}_opset{opset}_axis1", op, [X(SM)], opset=opset, axis=1)
        case(f"{op.lower()}_opset{opset}_default", op, [X(SM)], opset=opset)
case("softmax_large_values", "Softmax", [X(randn("softbig", 3, 5, scale=80.0))], axis=-1)
case("softmax_odd_inner", "Softmax", [X(randn("softinner", 1, 16, 4, 21))], axis=1)
case("logsoftmax_two_blocks", "LogSoftmax", [X(randn("softblocks", 2, 3, 300, scale=3.0))], axis=1)
case("softmax_long_row", "Softmax", [X(randn("softrow", 2, 1000, scale=5.0))], axis=-1)
# Hardmax: the first maximum of each lane (ties in the second row), flattened before opset 13.
HM = np.concatenate([SM, np.array([[[2, 7, 7, 1], [0, 0, 0, 0], [-1, -3, -1, -2]]], np.float32)])
case("hardmax_opset13_default", "Hardmax", [X(HM)])
case("hardmax_opset13_axis1", "Hardmax", [X(HM)], axis=1)
case("hardmax_opset11_axis1", "Hardmax", [X(HM)], opset=11, axis=1)
# NaN: a lane starting with NaN is all zeros, later NaNs are passed over (ONNX Runtime's running maximum).
case("hardmax_nan", "Hardmax", [X(np.array([[np.nan, 1, 2], [1, np.nan, 2], [1, 2, np.nan], [np.nan] * 3, [2, 2, np.nan]], np.float32))])

# Normalization.
LN = randn("ln", 2, 3, 8) + 3.0
case("layernorm_last_axis", "LayerNormalization", [X(LN), C(randn("lns", 8)), C(randn("lnb", 8))], opset=17)
case("layernorm_axis_m2_stats", "LayerNormalization", [X(LN), C(randn("lns2", 3, 8))], outs=3, opset=17, axis=-2,
     epsilon=1e-3)
case("lrn_size3", "LRN", [X(randn("lrn", 2, 5, 3, 3))], size=3)
case("lrn_size5_params", "LRN", [X(randn("lrn2", 1, 6, 2, 5, scale=3.0))], size=5, alpha=0.01, beta=0.5, bias=2.0)
case("instancenorm", "InstanceNormalization", [X(randn("in", 2, 3, 4, 5)), C(randn("ins", 3)), C(randn("inb", 3))])
# GroupNormalization: per-channel scale and bias at opset 21, per-group at opset 18.
case("groupnorm_opset21", "GroupNormalization", [X(randn("gno", 2, 6, 4, 3) * 2 + 1), C(randn("gns", 6)), C(randn("gnb", 6))],
     opset=21, num_groups=3, epsilon=1e-3)
case("groupnorm_opset18_per_group", "GroupNormalization", [X(randn("gno18", 2, 8, 5)), C(randn("gns18", 2)), C(randn("gnb18", 2))],
     opset=18, num_groups=2)

# MeanVarianceNormalization per channel (default axes) and over one axis; LpNormalization p = 1 and 2,
# with an all-zero lane (ONNX Runtime keeps it 0).
case("mvn_default_axes", "MeanVarianceNormalization", [X(randn("mvn", 2, 3, 4, 5) * 3 + 2)])
case("mvn_axis1", "MeanVarianceNormalization", [X(randn("mvn1", 2, 6, 3))], axes=[1])
LPX = np.concatenate([randn("lp", 3, 4), np.zeros((1, 4), np.float32)])
case("lpnorm_p2_last", "LpNormalization", [X(LPX)], opset=1)
case("lpnorm_p1_axis0", "LpNormalization", [X(LPX)], opset=1, axis=0, p=1)

# Compress along an axis (a condition shorter than the axis), flattened without one, and picking nothing.
CX = randn("compress", 3, 4, 2)
case("compress_axis1_short", "Compress", [X(CX), C(np.array([True, False, True], bool))], opset=11, axis=1)
case("compress_flat", "Compress", [X(CX), C(np.arange(24) % 5 == 0)], opset=11)
case("compress_none", "Compress", [X(I64(1, 2, 3)), C(np.array([False, False], bool))], opset=11, axis=0)
case("compress_long_condition", "Compress", [X(I64(1, 2, 3)), C(np.array([False, True, True, True, True], bool))], opset=11, axis=0)

# Reductions: axes as attribute (before 13 for ReduceSum, 18 for the others) and as input.
RX = randn("reduce", 2, 3, 4, 5)
case("reducemean_opset11_last", "ReduceMean", [X(RX)], opset=11, axes=[-1])
case("reducemean_opset18_input_keep0", "ReduceMean", [X(RX), C(I64(0, 2))], opset=18, keepdims=0)
case("reducemean_opset13_all", "ReduceMean", [X(RX)], keepdims=0)
case("reducesum_opset11_attr", "ReduceSum", [X(RX)], opset=11, axes=[1, 2])
case("reducesum_opset13_input", "ReduceSum", [X(RX), C(I64(-1, 1))])
case("reducesum_opset13_noop", "ReduceSum", [X(RX), C(np.zeros(0, np.int64))], noop_with_empty_axes=1)
case("reducesum_int64", "ReduceSum", [X(I64(1, 2, 3, 4, 5, 6).reshape(2, 3)), C(I64(0))])
case("reducemax_opset13", "ReduceMax", [X(RX)], axes=[1])
case("reducemax_int64", "ReduceMax", [X(I64(3, 9, -2, 4).reshape(2, 2))], axes=[1], keepdims=0)
case("reducemin_opset18", "ReduceMin", [X(RX), C(I64(3))], opset=18)
case("reduceprod", "ReduceProd", [X(randn("rp", 3, 4) * 0.5 + 1)], axes=[0])
case("reducel2", "ReduceL2", [X(RX)], axes=[2, 3])
case("reducel1", "ReduceL1", [X(RX)], axes=[0, 3], keepdims=0)
case("reducesumsquare", "ReduceSumSquare", [X(RX)], axes=[1])
case("reducelogsumexp", "ReduceLogSumExp", [X(RX * 20)], axes=[1, 3])
case("reducelogsumexp_opset18_all", "ReduceLogSumExp", [X(RX)], opset=18, keepdims=0)
# Values whose exponentials overflow or underflow float64 and float32 (attention masks).
case("reducelogsumexp_extremes", "ReduceLogSumExp", [X(np.array([[1000, 999, 0], [-1000, -1000, -1000], [-1e4, 2, -1e4]], np.float32))],
     axes=[1])
case("reducelogsum", "ReduceLogSum", [X(np.abs(RX) + 0.1)], axes=[2])
TIES = np.array([[1, 3, 3, 0], [2, 2, -1, 2], [0, 5, 5, 5]], np.float32)
case("argmax_default", "ArgMax", [X(RX)], types=[T.INT64])
case("argmax_last_index", "ArgMax", [X(TIES)], types=[T.INT64], axis=-1, keepdims=0, select_last_index=1)
case("argmin_axis1", "ArgMin", [X(TIES)], types=[T.INT64], axis=1)
case("topk_largest", "TopK", [X(randn("topk", 3, 6, 2)), C(I64(3))], outs=2, types=[T.FLOAT, T.INT64], axis=1)
case("topk_smallest_ties", "TopK", [X(TIES), C(I64(2))], outs=2, types=[T.FLOAT, T.INT64], largest=0)

# Shape manipulation, which moves elements of any type (float32, int64, bool, uint8 here).
SX = randn("shape", 2, 3, 4)
case("reshape_zero_minus_one", "Reshape", [X(SX), C(I64(0, -1))])
case("reshape_runtime_shape", "Reshape", [X(SX), X(I64(4, 0, -1))])
case("reshape_allowzero", "Reshape", [X(np.zeros((0, 3), np.float32)), C(I64(3, 0))], opset=14, allowzero=1)
case("reshape_int64", "Reshape", [X(np.arange(6, dtype=np.int64)), C(I64(3, 2))])
case("flatten_axis0", "Flatten", [X(SX)], axis=0)
case("flatten_default", "Flatten", [X(SX)])
case("flatten_negative", "Flatten", [X(SX)], axis=-1)
case("transpose_default", "Transpose", [X(SX)])
case("transpose_nhwc", "Transpose", [X(randn("tr", 2, 3, 4, 5))], perm=[0, 2, 3, 1])
case("transpose_5d", "Transpose", [X(randn("tr5", 2, 3, 1, 4, 5))], perm=[2, 0, 3, 1, 4])
case("transpose_unit_dims", "Transpose", [X(randn("tru", 1, 3, 1, 5))], perm=[2, 0, 1, 3])
case("transpose_int64", "Transpose", [X(np.arange(6, dtype=np.int64).reshape(2, 3))], perm=[1, 0])
case("transpose_bool", "Transpose", [X(rng("tb").random((2, 3, 2)) > 0.5)], perm=[2, 1, 0])
case("squeeze_opset11_attr", "Squeeze", [X(randn("sq", 1, 3, 1, 2))], opset=11, axes=[0])
case("squeeze_opset13_input", "Squeeze", [X(randn("sq2", 1, 3, 1, 2)), C(I64(-2))])
case("squeeze_opset13_all", "Squeeze", [X(randn("sq3", 1, 3, 1, 2))])
case("unsqueeze_opset11_attr", "Unsqueeze", [X(randn("us", 3, 2))], opset=11, axes=[0, 3])
case("unsqueeze_opset13_input", "Unsqueeze", [X(randn("us2", 3, 2)), C(I64(-1, 1))])
case("unsqueeze_scalar_int64", "Unsqueeze", [X(np.int64(7)), C(I64(0))])
case("concat_last_axis", "Concat", [X(randn("c1", 2, 3)), X(randn("c2", 2, 1)), X(randn("c3", 2, 4))], axis=-1)
case("concat_int64_shapes", "Concat", [X(I64(1)), C(I64(-1, 4)), X(I64(80))], axis=0)
case("concat_uint8", "Concat", [X(np.arange(6, dtype=np.uint8).reshape(3, 2)), X(np.uint8([[9], [8], [7]]))], axis=1)
case("concat_empty_part", "Concat", [X(randn("c4", 2, 2)), X(np.zeros((0, 2), np.float32)), X(randn("c5", 1, 2))], axis=0)
case("split_opset11_attr", "Split", [X(randn("sp", 2, 5))], outs=2, opset=11, axis=1, split=[2, 3])
case("split_opset13_input", "Split", [X(randn("sp2", 2, 64 + 80)), C(I64(64, 80))], outs=2, axis=1)
case("split_opset13_equal", "Split", [X(randn("sp3", 6, 2))], outs=3)
case("split_opset18_num_outputs", "Split", [X(randn("sp4", 7, 2))], outs=3, opset=18, num_outputs=3)
case("slice_opset1_attrs", "Slice", [X(SX)], opset=1, starts=[1, 0], ends=[2, 3], axes=[1, 2])
case("slice_opset10_inputs", "Slice", [X(SX), C(I64(0, 1)), C(I64(1, 1000)), C(I64(0, 2))], opset=10)
case("slice_negative_step", "Slice", [X(SX), C(I64(-1)), C(I64(-9223372036854775807)), C(I64(2)), C(I64(-1))])
case("slice_step2_clamped", "Slice", [X(randn("sl", 9, 3)), C(I64(-100, 1)), C(I64(9223372036854775807, 3)),
                                      C(I64(0, -1)), C(I64(2, 1))])
case("slice_negative_step3", "Slice", [X(randn("sl2", 10)), C(I64(8)), C(I64(1)), None, C(I64(-3))])
case("slice_empty_result", "Slice", [X(SX), C(I64(3)), C(I64(1)), C(I64(1))])
case("slice_int64_shape", "Slice", [X(I64(1, 3, 320, 320)), C(I64(2)), C(I64(4)), C(I64(0))])
case("gather_scalar_index_int64", "Gather", [X(I64(1, 3, 40, 40)), C(np.int64(2))], axis=0)
case("gather_axis1_negative", "Gather", [X(SX), C(I64(-1, 0, 2, 0).reshape(2, 2))], axis=1)
case("gather_last_axis_int32_indices", "Gather", [X(SX), C(np.array([3, 1], np.int32))], axis=-1)
case("gatherelements_axis1", "GatherElements", [X(SX), C(I64(0, 2, -1, 1, 0, 1).reshape(2, 3, 1))], axis=1)
case("shape", "Shape", [X(SX)], types=[T.INT64])
case("shape_opset15_start_end", "Shape", [X(randn("shp", 2, 3, 4, 5))], types=[T.INT64], opset=15, start=1, end=-1)
case("shape_opset15_clamped", "Shape", [X(SX)], types=[T.INT64], opset=15, start=-10)
case("size", "Size", [X(SX)], types=[T.INT64])
CASTX = np.array([-2.7, -0.5, 0.0, 0.49, 1.5, 2.5, 100.9, -100.9], np.float32)
for to, name in [(T.INT32, "int32"), (T.INT64, "int64"), (T.INT8, "int8"), (T.INT16, "int16"), (T.DOUBLE, "double"),
                 (T.FLOAT16, "float16"), (T.BOOL, "bool")]:
    case(f"cast_float_to_{name}", "Cast", [X(CASTX)], types=[to], to=to)
case("cast_float_to_uint8", "Cast", [X(np.abs(CASTX))], types=[T.UINT8], to=T.UINT8)
case("cast_float16_rounding", "Cast", [X(np.float32([1.0009766, 1.0004883, 1.0014648, 65519.0, 65520.0, 1e-7, -3.14159]))],
     types=[T.FLOAT16], to=T.FLOAT16)
case("cast_float16_to_float", "Cast", [X(np.float16([0.5, -2.0, 65504, 6e-8]))], types=[T.FLOAT], to=T.FLOAT)
case("cast_int64_to_float", "Cast", [X(I64(-3, 0, 16777217, 320))], types=[T.FLOAT], to=T.FLOAT, opset=11)
case("cast_int64_to_int32", "Cast", [X(I64(-3, 0, 4294967297))], types=[T.INT32], to=T.INT32, opset=11)
case("cast_bool_to_float", "Cast", [X(np.array([True, False, True]))], types=[T.FLOAT], to=T.FLOAT)
case("cast_double_to_float", "Cast", [X(rng("cd").standard_normal(5))], types=[T.FLOAT], to=T.FLOAT)
case("constantofshape_default", "ConstantOfShape", [X(I64(2, 3))], types=[T.FLOAT])
case("constantofshape_int64", "ConstantOfShape", [C(I64(4))], types=[T.INT64],
     value=helper.make_tensor("v", T.INT64, [1], [7]))
case("constantofshape_scalar", "ConstantOfShape", [C(np.zeros(0, np.int64))], types=[T.FLOAT],
     value=helper.make_tensor("v", T.FLOAT, [1], [2.5]))
case("range_float", "Range", [X(np.float32(0.5)), X(np.float32(4.0)), C(np.float32(0.75))])
case("range_int64", "Range", [C(np.int64(0)), X(np.int64(10)), C(np.int64(3))])
case("range_negative_delta", "Range", [C(np.int32(5)), C(np.int32(-4)), C(np.int32(-2))])
case("range_empty", "Range", [C(np.float32(3)), C(np.float32(1)), C(np.float32(1))])
case("expand_bidirectional", "Expand", [X(randn("ex", 3, 1)), C(I64(2, 1, 4))])
case("expand_keeps_larger_dims", "Expand", [X(randn("ex2", 3, 4)), C(I64(1, 1))])
case("expand_int64", "Expand", [X(I64(1, 2)), X(I64(3, 2))])
case("tile", "Tile", [X(randn("ti", 2, 3)), C(I64(2, 3))])
case("tile_int64_rank3", "Tile", [X(np.arange(4, dtype=np.int64).reshape(1, 2, 2)), C(I64(2, 1, 2))])



# Control flow: both branches read values of the enclosing graph (an input and an intermediate).
def if_case(name, condition):
    value = lambda n, t=T.FLOAT: helper.make_tensor_value_info(n, t, None)  # noqa: E731
    then_branch = helper.make_graph([helper.make_node("Add", ["s", "x"], ["t"])], "then", [], [value("t")])
    two = helper.make_tensor("two", T.FLOAT, [], [2.0])
    else_branch = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["m"]), helper.make_node("Sub", ["m", "s"], ["e"])],
                                    "else", [], [value("e")], [two])
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]),
             helper.make_node("If", ["cond"], ["y"], then_branch=then_branch, else_branch=else_branch),
             helper.make_node("Mul", ["y", "s"], ["z"])]
    graph_case(name, nodes, [("x", randn(name, 2, 3)), ("cond", np.array(condition))], ["y", "z"], opset=13)


if_case("if_then_branch", True)

# Loop: a for-loop (trip count), a while-loop (condition from the body), both at once, and zero trips.
# The body reads the enclosing graph's x, carries v and an int64 counter, and scans v at every step.
def loop_case(name, trips, condition, limit=None):
    value = lambda n, t=T.FLOAT, shape=None: helper.make_tensor_value_info(n, t, shape)  # noqa: E731
    body_nodes = [
        helper.make_node("Cast", ["i"], ["fi"], to=T.FLOAT),
        helper.make_node("Mul", ["x", "fi"], ["step"]),
        helper.make_node("Add", ["v", "step"], ["v_next"]),
        helper.make_node("Add", ["k", "one"], ["k_next"]),
        helper.make_node("ReduceSum", ["v_next"], ["total"], keepdims=0),
        helper.make_node("Less", ["total", "limit"], ["cond_out"]),
        helper.make_node("Identity", ["v_next"], ["scan"]),
    ]
    body = helper.make_graph(body_nodes, "body", [value("i", T.INT64, []), value("cond_in", T.BOOL, []), value("v"), value("k", T.INT64)],
                             [value("cond_out", T.BOOL), value("v_next"), value("k_next", T.INT64), value("scan", T.FLOAT, [2, 3])],
                             [helper.make_tensor("one", T.INT64, [], [1]),
                              helper.make_tensor("limit", T.FLOAT, [], [limit if limit is not None else 1e30])])
    inputs = [("x", np.abs(randn(name, 2, 3)) + 0.1), ("v0", randn(name + "v", 2, 3)), ("k0", I64(0))]
    names = ["", "", "v0", "k0"]
    if trips is not None:
        inputs.append(("m", I64(trips).reshape(())))
        names[0] = "m"
    if condition is not None:
        inputs.append(("c", np.array(condition)))
        names[1] = "c"
    nodes = [helper.make_node("Loop", names, ["v_final", "k_final", "scans"], body=body)]
    graph_case(name, nodes, inputs, ["v_final", ("k_final", T.INT64), "scans"], opset=13)


loop_case("loop_for", 4, None)
loop_case("loop_while", None, True, limit=6.0)
loop_case("loop_for_and_while", 9, True, limit=6.0)
loop_case("loop_zero_trips", 0, None)
# The body's condition decides even without a cond input, as in ONNX Runtime: a for-loop whose body says
# stop runs once, and a loop with neither M nor cond runs while the body says go on (found by review).
loop_case("loop_for_body_stops", 5, None, limit=-1e30)
loop_case("loop_neither_trip_count_nor_cond", None, None, limit=6.0)

if_case("if_else_branch", False)


# Scan: a running sum carried as state (the classic use), and a body with two scan inputs along other
# axes, one read backwards, scan outputs stacked along axis 1 and reversed, reading the outer graph's w.
def scan_case(name, x_shape, input_axes=None, input_directions=None, output_axes=None, output_directions=None, opset=11):
    value = lambda n, t=T.FLOAT, shape=None: helper.make_tensor_value_info(n, t, shape)  # noqa: E731
    body = helper.make_graph(
        [helper.make_node("Add", ["s", "a"], ["sum"]), helper.make_node("Mul", ["sum", "w"], ["s_next"]),
         helper.make_node("Sub", ["s_next", "b"], ["y1"]), helper.make_node("Tanh", ["a"], ["y2"])],
        "body", [value("s"), value("a"), value("b")], [value("s_next"), value("y1"), value("y2")])
    attributes = {k: v for k, v in [("scan_input_axes", input_axes), ("scan_input_directions", input_directions),
                                    ("scan_output_axes", output_axes), ("scan_output_directions", output_directions)] if v is not None}
    axis = (input_axes or [0, 0])
    state = list(x_shape)
    del state[axis[0] % len(x_shape)]
    inputs = [("s0", randn(name + "s", *state)), ("x", randn(name, *x_shape)), ("z", randn(name + "z", *x_shape)),
              ("w", np.array(0.9, np.float32))]
    nodes = [helper.make_node("Scan", ["s0", "x", "z"], ["s_final", "ys1", "ys2"], body=body, num_scan_inputs=2, **attributes)]
    graph_case(name, nodes, inputs, ["s_final", "ys1", "ys2"], opset=opset)


scan_case("scan_running_sum", (5, 3), opset=9)
scan_case("scan_axes_and_directions", (2, 4, 3), input_axes=[1, -2], input_directions=[0, 1], output_axes=[1, -1],
          output_directions=[1, 0])
case("dropout_with_mask", "Dropout", [X(randn("dr", 3, 4)), C(np.float32(0.5))], outs=2, types=[T.FLOAT, T.BOOL])


def const(name, array):
    return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, ONNX_TYPE[np.asarray(array).dtype],
                                                                           np.shape(array), np.ravel(array)))


# yolov8n's anchor-grid chain on int64 shapes (opset 17): Shape, Gather, Cast, Range, Unsqueeze, Concat,
# Reshape, ConstantOfShape, Expand.
graph_case("chain_yolov8_grid", [
    const("two", np.int64(2)), const("three", np.int64(3)), const("zero", np.float32(0)), const("one", np.float32(1)),
    const("axes0", I64(0)), const("column", I64(-1, 1)),
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Gather", ["s", "two"], ["h"], axis=0),
    helper.make_node("Gather", ["s", "three"], ["w"], axis=0),
    helper.make_node("Cast", ["h"], ["hf"], to=T.FLOAT),
    helper.make_node("Range", ["zero", "hf", "one"], ["r"]),
    helper.make_node("Unsqueeze", ["h", "axes0"], ["hu"]),
    helper.make_node("Unsqueeze", ["w", "axes0"], ["wu"]),
    helper.make_node("Concat", ["hu", "wu"], ["hw"], axis=0),
    helper.make_node("Reshape", ["r", "column"], ["rc"], allowzero=0),
    helper.make_node("Expand", ["rc", "hw"], ["grid"]),
    helper.make_node("ConstantOfShape", ["hw"], ["half"], value=helper.make_tensor("v", T.FLOAT, [1], [0.5])),
    helper.make_node("Add", ["grid", "half"], ["y"]),
], [("x", randn("yolo", 1, 3, 4, 5))], ["y", ("hw", T.INT64)])

# PP-OCRv4 rec's hand-written layer norm (opset 12): ReduceMean, Sub, Pow, Sqrt, Div with attribute axes.
graph_case("chain_ppocr_layernorm", [
    const("two", np.float32(2)), const("eps", np.float32(1e-6)), const("gamma", randn("g", 12)),
    helper.make_node("ReduceMean", ["x"], ["m"], axes=[-1]),
    helper.make_node("Sub", ["x", "m"], ["d"]),
    helper.make_node("Pow", ["d", "two"], ["p"]),
    helper.make_node("ReduceMean", ["p"], ["v"], axes=[-1]),
    helper.make_node("Add", ["v", "eps"], ["ve"]),
    helper.make_node("Sqrt", ["ve"], ["sd"]),
    helper.make_node("Div", ["d", "sd"], ["n"]),
    helper.make_node("Mul", ["n", "gamma"], ["y"]),
], [("x", randn("ppln", 1, 5, 12) + 2)], ["y"], opset=12)

# PP-OCR cls's head (opset 11): Shape, Cast to int32, 5-input Slice, Cast back, Concat, Reshape, Softmax.
graph_case("chain_ppocr_cls_head", [
    const("st", np.int32([0])), const("en", np.int32([1])), const("ax", np.int32([0])), const("sp", np.int32([1])),
    const("rest", I64(-1)),
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Cast", ["s"], ["s32"], to=T.INT32),
    helper.make_node("Slice", ["s32", "st", "en", "ax", "sp"], ["b"]),
    helper.make_node("Cast", ["b"], ["b64"], to=T.INT64),
    helper.make_node("Concat", ["b64", "rest"], ["shape"], axis=-1),
    helper.make_node("Reshape", ["x", "shape"], ["flat"]),
    helper.make_node("Softmax", ["flat"], ["y"], axis=1),
], [("x", randn("cls", 2, 3, 4))], ["y"], opset=11)


def build():
    for c in CASES:
        c()
    return len(CASES)
