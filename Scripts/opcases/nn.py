# Cases for the compute-heavy float kernels (Conv, ConvTranspose, BatchNormalization, Gemm, MatMul, pools,
# Resize/Upsample, Pad, LSTM, GRU, RNN): odd shapes (1x1, non-square, stride > kernel, batch > 1), groups, dilations,
# asymmetric pads, auto_pad, ceil_mode, every Resize mode. Truth: ONNX Runtime. build() writes them all.
import numpy as np
from onnx import TensorProto, helper

from .common import rng, save as save_one

CASES = []
WRITTEN = []


def save(name, *args, **kwargs):
    """common.save, remembering the case so build() can count what it wrote."""
    WRITTEN.append(name)
    return save_one(name, *args, **kwargs)


def case(f):
    CASES.append(f)
    return f


def normal(name, *shape, scale=1.0):
    return (rng(name).standard_normal(shape) * scale).astype(np.float32)


EIGHT_BIT = ((np.uint8, TensorProto.UINT8, "u8"), (np.int8, TensorProto.INT8, "s8"))


def eight_bit(name, dtype, *shape):
    """Every value of an 8-bit type is equally likely."""
    info = np.iinfo(dtype)
    return rng(name).integers(info.min, info.max + 1, shape).astype(dtype)


def single(name, op, x, initializers=None, opset=13, outputs=("y",), inputs=None, **attributes):
    """One node `op` reading runtime input x (plus initializers, in order) writing `outputs`."""
    initializers = initializers or {}
    names = ["x"] + list(initializers) if inputs is None else inputs
    node = helper.make_node(op, names, [o if isinstance(o, str) else o[0] for o in outputs], **attributes)
    save(name, [node], [("x", x)], list(outputs), initializers, opset=opset)


def conv(name, x_shape, w_shape, bias=True, opset=13, **attributes):
    x = normal(name, *x_shape)
    w = normal(name + "w", *w_shape, scale=0.5)
    inits = {"w": w}
    if bias:
        inits["b"] = normal(name + "b", w_shape[0])
    single(name, "Conv", x, inits, opset=opset, **attributes)


@case
def conv_cases():
    conv("conv_3x3_pad1", (1, 3, 7, 7), (4, 3, 3, 3), pads=[1, 1, 1, 1])
    conv("conv_1x1_pointwise", (2, 5, 4, 3), (6, 5, 1, 1), bias=False)
    conv("conv_1x1_stride2", (1, 4, 7, 6), (3, 4, 1, 1), strides=[2, 2])
    conv("conv_nonsquare", (1, 2, 9, 6), (3, 2, 3, 2), strides=[1, 2], pads=[0, 1, 2, 0])
    conv("conv_stride_gt_kernel", (2, 3, 11, 10), (4, 3, 2, 2), strides=[3, 4])
    conv("conv_groups", (1, 6, 6, 5), (4, 3, 3, 3), group=2, pads=[1, 0, 1, 2])
    conv("conv_depthwise", (2, 4, 8, 7), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1])
    conv("conv_depthwise_5x5_stride2", (1, 3, 9, 11), (3, 1, 5, 5), group=3, strides=[2, 1], pads=[2, 2, 2, 2])
    conv("conv_depthwise_multiplier", (1, 2, 6, 6), (6, 1, 3, 2), group=2, strides=[1, 2], dilations=[2, 1])
    conv("conv_dilations", (1, 3, 10, 9), (2, 3, 3, 3), dilations=[2, 3], pads=[2, 1, 0, 3])
    conv("conv_same_upper", (1, 2, 7, 8), (3, 2, 4, 3), auto_pad="SAME_UPPER", strides=[2, 3])
    conv("conv_same_lower", (1, 2, 7, 8), (3, 2, 4, 3), auto_pad="SAME_LOWER", strides=[2, 3])
    conv("conv_valid", (1, 2, 6, 9), (3, 2, 3, 4), auto_pad="VALID", strides=[2, 2], bias=False)
    conv("conv_1d", (2, 3, 12), (4, 3, 3), pads=[2, 1], strides=[2], dilations=[2])
    conv("conv_3d", (1, 2, 4, 5, 6), (3, 2, 2, 3, 2), pads=[1, 0, 1, 0, 1, 1], strides=[1, 2, 2])
    conv("conv_single_channel_input", (1, 1, 6, 6), (5, 1, 3, 3), pads=[1, 1, 1, 1])
    conv("conv_big_k", (1, 24, 9, 14), (8, 24, 3, 3), pads=[1, 1, 1, 1])
    conv("conv_depthwise_1d", (2, 3, 20), (3, 1, 5), group=3, pads=[2, 2], strides=[2])
    conv("conv_depthwise_3d", (1, 2, 4, 5, 6), (2, 1, 3, 3, 3), group=2, pads=[1, 1, 1, 1, 1, 1], strides=[1, 2, 2])
    conv("conv_depthwise_wide_row", (1, 2, 3, 70), (2, 1, 3, 3), group=2, pads=[1, 1, 1, 1])
    conv("conv_depthwise_dilated_stride2", (1, 3, 11, 13), (3, 1, 3, 3), group=3, strides=[2, 2], dilations=[2, 2],
         pads=[2, 1, 1, 2])
    conv("conv_tile_edges", (1, 10, 4, 55), (13, 10, 3, 3), pads=[1, 1, 1, 1])
    conv("conv_pointwise_wide", (1, 24, 7, 15), (17, 24, 1, 1))
    conv("conv_stride2_wide", (1, 4, 9, 70), (9, 4, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1])
    conv("conv_3d_wide", (1, 2, 3, 6, 20), (10, 2, 2, 3, 3), pads=[0, 1, 1, 0, 1, 1])
    conv("conv_groups_big_k", (1, 48, 5, 6), (9, 16, 3, 3), group=3, pads=[1, 1, 1, 1])
    conv("conv_opset1", (1, 2, 5, 5), (2, 2, 3, 3), opset=1, kernel_shape=[3, 3])
    # Weights fed at run time, not an initializer.
    name = "conv_runtime_weights"
    x, w = normal(name, 1, 2, 5, 4), normal(name + "w", 3, 2, 2, 2)
    save(name, [helper.make_node("Conv", ["x", "w"], ["y"])], [("x", x), ("w", w)], ["y"])


def conv_transpose(name, x_shape, w_shape, bias=True, **attributes):
    x = normal(name, *x_shape)
    inits = {"w": normal(name + "w", *w_shape, scale=0.5)}
    if bias:
        inits["b"] = normal(name + "b", w_shape[1] * attributes.get("group", 1))
    single(name, "ConvTranspose", x, inits, **attributes)


@case
def conv_transpose_cases():
    conv_transpose("convtranspose_3x3", (1, 2, 4, 5), (2, 3, 3, 3))
    conv_transpose("convtranspose_k2_s2", (2, 3, 5, 4), (3, 2, 2, 2), strides=[2, 2])
    conv_transpose("convtranspose_stride_gt_kernel", (1, 2, 3, 4), (2, 2, 2, 3), strides=[3, 4], pads=[1, 0, 0, 2],
                   output_padding=[2, 1])
    conv_transpose("convtranspose_groups", (1, 4, 3, 3), (4, 3, 3, 2), group=2, strides=[2, 1], bias=False)
    conv_transpose("convtranspose_dilations", (1, 2, 4, 3), (2, 2, 3, 2), dilations=[2, 3], pads=[1, 2, 0, 1])
    conv_transpose("convtranspose_output_shape", (1, 2, 4, 4), (2, 2, 3, 3), strides=[2, 2], output_shape=[8, 9])
    conv_transpose("convtranspose_output_shape_upper", (1, 2, 4, 4), (2, 2, 3, 3), strides=[2, 2], output_shape=[8, 7],
                   auto_pad="SAME_UPPER")
    conv_transpose("convtranspose_same_upper", (1, 2, 3, 4), (2, 2, 4, 3), strides=[2, 2], auto_pad="SAME_UPPER")
    conv_transpose("convtranspose_same_lower", (1, 2, 3, 4), (2, 2, 4, 3), strides=[2, 2], auto_pad="SAME_LOWER")
    conv_transpose("convtranspose_1d", (2, 3, 5), (3, 2, 3), strides=[2], pads=[1, 0])
    conv_transpose("convtranspose_3d", (1, 2, 3, 3, 2), (2, 2, 2, 2, 3), strides=[1, 2, 1])
    name = "convtranspose_runtime_weights"
    x, w = normal(name, 2, 4, 3, 5), normal(name + "w", 4, 3, 3, 3)
    save(name, [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], group=2)], [("x", x), ("w", w)], ["y"])


def two_inputs(name, op, a, b, extra=None, opset=13, **attributes):
    """Node `op` on runtime inputs a and b (plus initializers `extra`)."""
    extra = extra or {}
    node = helper.make_node(op, ["a", "b"] + list(extra), ["y"], **attributes)
    save(name, [node], [("a", a), ("b", b)], ["y"], extra, opset=opset)


@case
def batch_norm_cases():
    def params(name, shape):
        r = rng(name + "p")
        return {"scale": r.standard_normal(shape).astype(np.float32), "bias": r.standard_normal(shape).astype(np.float32),
                "mean": r.standard_normal(shape).astype(np.float32),
                "var": (r.random(shape) + 0.1).astype(np.float32)}
    single("batchnorm_4d", "BatchNormalization", normal("batchnorm_4d", 2, 3, 4, 5), params("batchnorm_4d", (3,)), epsilon=1e-3)
    single("batchnorm_2d_opset9", "BatchNormalization", normal("batchnorm_2d_opset9", 3, 4), params("batchnorm_2d_opset9", (4,)),
           opset=9)
    single("batchnorm_3d_opset15", "BatchNormalization", normal("batchnorm_3d_opset15", 1, 2, 7), params("batchnorm_3d_opset15", (2,)),
           opset=15)
    single("batchnorm_spatial0_opset7", "BatchNormalization", normal("batchnorm_spatial0_opset7", 2, 3, 2, 2),
           params("batchnorm_spatial0_opset7", (3, 2, 2)), opset=7, spatial=0)
    # Training mode (opset 15; ONNX requires its three outputs): the batch's own statistics, and the
    # running ones updated with momentum. NF-Net standardises its weights so (momentum 1).
    running = ("y", ("running_mean", TensorProto.FLOAT), ("running_var", TensorProto.FLOAT))
    single("batchnorm_training", "BatchNormalization", normal("batchnorm_training", 2, 3, 4, 5) * 3 + 1,
           params("batchnorm_training", (3,)), opset=15, training_mode=1, outputs=running)
    single("batchnorm_training_momentum", "BatchNormalization", normal("batchnorm_training_rs", 4, 6, 9),
           params("batchnorm_training_rs", (6,)), opset=15, training_mode=1, momentum=0.8, outputs=running)


@case
def gemm_cases():
    two_inputs("gemm_plain", "Gemm", normal("gemm_plain", 3, 5), normal("gemm_plainb", 5, 4))
    two_inputs("gemm_trans_alpha_beta", "Gemm", normal("gemm_tab", 6, 3), normal("gemm_tabb", 7, 6),
               {"c": normal("gemm_tabc", 7)}, transA=1, transB=1, alpha=0.5, beta=2.0)
    two_inputs("gemm_c_column", "Gemm", normal("gemm_cc", 4, 3), normal("gemm_ccb", 3, 5), {"c": normal("gemm_ccc", 4, 1)},
               beta=-1.0)
    two_inputs("gemm_c_scalar", "Gemm", normal("gemm_cs", 2, 3), normal("gemm_csb", 5, 3), {"c": np.array(1.5, np.float32)},
               transB=1)
    two_inputs("gemm_c_full_fc", "Gemm", normal("gemm_fc", 1, 64), normal("gemm_fcb", 10, 64), {"c": normal("gemm_fcc", 1, 10)},
               transB=1)


@case
def matmul_cases():
    def mm(name, a_shape, b_shape):
        two_inputs(name, "MatMul", normal(name, *a_shape), normal(name + "b", *b_shape))
    mm("matmul_2d", (3, 4), (4, 5))
    mm("matmul_1d_1d", (6,), (6,))
    mm("matmul_1d_batched", (4,), (2, 4, 3))
    mm("matmul_batched_1d", (2, 3, 4), (4,))
    mm("matmul_batched_weights", (2, 3, 5, 4), (4, 6))
    mm("matmul_broadcast", (2, 1, 3, 4), (3, 4, 2))
    mm("matmul_same_batch", (3, 2, 5), (3, 5, 4))
    mm("matmul_tall", (200, 3), (3, 2))
    mm("matmul_zero_k", (2, 0), (0, 3))


@case
def pool_cases():
    def pool(name, op, shape, opset=13, outputs=("y",), **attributes):
        single(name, op, normal(name, *shape), opset=opset, outputs=outputs, **attributes)
    pool("maxpool_2x2", "MaxPool", (2, 3, 6, 7), kernel_shape=[2, 2], strides=[2, 2])
    pool("maxpool_5x5_same_pads", "MaxPool", (1, 4, 10, 10), kernel_shape=[5, 5], pads=[2, 2, 2, 2])
    pool("maxpool_nonsquare_asym_pads", "MaxPool", (1, 2, 7, 9), kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 0, 1])
    pool("maxpool_stride_gt_kernel", "MaxPool", (1, 2, 9, 10), kernel_shape=[2, 2], strides=[3, 4])
    pool("maxpool_ceil", "MaxPool", (1, 2, 6, 7), kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    pool("maxpool_ceil_pads", "MaxPool", (1, 1, 5, 6), kernel_shape=[2, 3], strides=[2, 2], pads=[0, 1, 1, 1], ceil_mode=1)
    pool("maxpool_dilations", "MaxPool", (1, 2, 8, 8), kernel_shape=[2, 3], dilations=[2, 2], pads=[1, 1, 1, 1])
    pool("maxpool_same_upper", "MaxPool", (1, 2, 7, 6), kernel_shape=[3, 2], strides=[2, 2], auto_pad="SAME_UPPER")
    pool("maxpool_same_lower", "MaxPool", (1, 2, 7, 6), kernel_shape=[3, 2], strides=[2, 2], auto_pad="SAME_LOWER")
    pool("maxpool_valid_1d", "MaxPool", (2, 3, 11), kernel_shape=[3], strides=[2], auto_pad="VALID")
    pool("maxpool_3d", "MaxPool", (1, 2, 4, 5, 6), kernel_shape=[2, 2, 3], strides=[2, 1, 2], pads=[0, 1, 1, 1, 0, 0])
    pool("maxpool_indices", "MaxPool", (2, 2, 5, 6), kernel_shape=[2, 2], strides=[2, 2], pads=[1, 0, 0, 1],
         outputs=("y", ("i", TensorProto.INT64)))
    pool("maxpool_indices_column_major", "MaxPool", (1, 2, 5, 6), kernel_shape=[3, 2], strides=[1, 2], storage_order=1,
         outputs=("y", ("i", TensorProto.INT64)))
    pool("averagepool_exclude_pad", "AveragePool", (1, 3, 7, 8), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    pool("averagepool_include_pad", "AveragePool", (2, 2, 7, 8), kernel_shape=[3, 2], strides=[2, 3], pads=[1, 0, 2, 1],
         count_include_pad=1)
    pool("averagepool_ceil_include_pad", "AveragePool", (1, 2, 5, 7), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 0, 1],
         ceil_mode=1, count_include_pad=1, opset=11)
    pool("averagepool_ceil_exclude_pad", "AveragePool", (1, 2, 5, 7), kernel_shape=[2, 3], strides=[2, 3], ceil_mode=1)
    pool("averagepool_rec_3x2", "AveragePool", (1, 4, 3, 8), kernel_shape=[3, 2], strides=[3, 2])
    pool("averagepool_dilations_opset19", "AveragePool", (1, 2, 7, 7), kernel_shape=[2, 2], dilations=[2, 3], pads=[1, 1, 1, 1],
         count_include_pad=1, opset=19)
    pool("averagepool_same_upper_1d", "AveragePool", (1, 2, 9), kernel_shape=[4], strides=[2], auto_pad="SAME_UPPER")
    pool("globalaveragepool", "GlobalAveragePool", (2, 3, 5, 7))
    pool("globalaveragepool_long", "GlobalAveragePool", (1, 2, 40, 30))
    pool("globalmaxpool", "GlobalMaxPool", (2, 3, 4, 5))
    pool("globalmaxpool_1d", "GlobalMaxPool", (1, 3, 9))
    # LpPool: p = 2 (default) with pads and strides, p = 1 and 3, 1-D, and opset 18's dilations and ceil_mode.
    pool("lppool_p2_pads", "LpPool", (1, 3, 7, 8), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    pool("lppool_p1", "LpPool", (2, 2, 6, 6), kernel_shape=[2, 3], strides=[2, 1], p=1)
    pool("lppool_p3_1d", "LpPool", (1, 2, 9), kernel_shape=[3], strides=[2], p=3)
    pool("lppool_opset18_dilations_ceil", "LpPool", (1, 2, 7, 7), kernel_shape=[2, 2], strides=[2, 2], dilations=[2, 1],
         ceil_mode=1, opset=18)
    pool("globallppool", "GlobalLpPool", (2, 3, 5, 7))
    pool("globallppool_p3", "GlobalLpPool", (1, 2, 4, 6), p=3)
    # 8-bit MaxPool (opset 12), as ONNX Runtime's QOperator models leave it between integer layers.
    for dtype, elem, tag in EIGHT_BIT:
        single(f"maxpool_{tag}", "MaxPool", eight_bit("maxpool_" + tag, dtype, 1, 3, 7, 8), opset=12, outputs=(("y", elem),),
               kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])


@case
def grid_sample_cases():
    """Every mode x padding x corner convention (opset 16 names), opset 20's names, and nearest at exact
    half-pixel positions (ties round to even). Grid positions reach past [-1, 1] to exercise padding."""
    x = normal("gridsample_x", 1, 2, 4, 5)
    grid = (rng("gridsample_grid").uniform(-1.3, 1.3, (1, 3, 4, 2))).astype(np.float32)
    for mode in ("bilinear", "nearest", "bicubic"):
        for padding in ("zeros", "border", "reflection"):
            for align in (0, 1):
                name = f"gridsample_{mode}_{padding}_align{align}"
                save(name, [helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=padding, align_corners=align)],
                     [("x", x), ("grid", grid)], ["y"], opset=16)
    for mode in ("linear", "cubic"):
        save(f"gridsample_opset20_{mode}", [helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode="border")],
             [("x", x), ("grid", grid)], ["y"], opset=20)
    ties = np.array([-0.75, -0.25, 0.25, 0.75], np.float32)
    tie_grid = np.stack(np.meshgrid(ties, ties[:3]), axis=-1)[None].astype(np.float32)
    save("gridsample_nearest_ties", [helper.make_node("GridSample", ["x", "grid"], ["y"], mode="nearest", align_corners=1)],
         [("x", x), ("grid", tie_grid)], ["y"], opset=16)
    # Nearest with reflection rounds the position first, then reflects the pixel (found by review:
    # reflecting first flips ties at the edges).
    halves = np.array([[[[1.5, -1.7], [-1.5, -1.0], [2.0, 0.0], [-1.25, 1.6]]]], np.float32)
    for align in (0, 1):
        save(f"gridsample_nearest_reflection_halves_align{align}",
             [helper.make_node("GridSample", ["x", "grid"], ["y"], mode="nearest", padding_mode="reflection", align_corners=align)],
             [("x", normal("gridsample_small", 1, 1, 3, 4)), ("grid", halves)], ["y"], opset=16)

    # AffineGrid feeding GridSample (a spatial transformer), both corner conventions, and 3-D grids
    # (one depth slice and one width column too, where align_corners divides by L - 1 = 0).
    theta = (np.array([[1, 0, 0], [0, 1, 0]], np.float32) + 0.3 * normal("affine_theta", 2, 2, 3)).astype(np.float32)
    for align in (0, 1):
        save(f"affinegrid_gridsample_align{align}",
             [helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=align),
              helper.make_node("GridSample", ["x", "grid"], ["y"], align_corners=align)],
             [("x", normal("affine_x", 2, 3, 5, 6)), ("theta", theta)], ["grid", "y"],
             initializers={"size": np.array([2, 3, 4, 7], np.int64)}, opset=20)
        save(f"affinegrid_3d_align{align}", [helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=align)],
             [("theta", normal("affine_theta3", 1, 3, 4))], ["grid"],
             initializers={"size": np.array([1, 2, 1, 3, 1], np.int64)}, opset=20)



@case
def roi_align_cases():
    """RoiAlign: both modes and coordinate conventions, a fixed and an adaptive sampling ratio, a
    spatial scale, regions reaching past the image and one smaller than a pixel, two batch images."""
    x = normal("roialign_x", 2, 3, 10, 12)
    rois = np.array([[0.5, 1.0, 6.0, 7.5], [2.0, 0.0, 11.9, 9.9], [-3.0, -2.0, 4.0, 3.0], [8.0, 6.0, 14.0, 13.0],
                     [3.2, 4.1, 3.6, 4.4]], np.float32)
    batch = np.array([0, 1, 1, 0, 1], np.int64)
    for name, opset, attributes in [("roialign_avg_half_pixel", 16, {}),
                                    ("roialign_max_half_pixel", 16, {"mode": "max"}),
                                    ("roialign_avg_output_half_pixel_opset10", 10, {"sampling_ratio": 2}),
                                    ("roialign_max_opset10", 10, {"mode": "max", "output_height": 3, "output_width": 2}),
                                    ("roialign_scale_ratio", 16, {"spatial_scale": 0.5, "sampling_ratio": 3, "output_height": 4, "output_width": 5}),
                                    ("roialign_output_half_pixel_opset16", 16, {"coordinate_transformation_mode": "output_half_pixel",
                                                                                "output_height": 2, "output_width": 3})]:
        save(name, [helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"], **attributes)],
             [("x", x), ("rois", rois), ("batch", batch)], ["y"], opset=opset)


def resize(name, shape, scales=None, sizes=None, roi=None, opset=13, x=None, outputs=("y",), **attributes):
    """Resize of a runtime input (normal values unless `x` is given) with scales/sizes/roi as
    initializers (empty names for absent ones)."""
    x = normal(name, *shape) if x is None else x
    inits, names = {}, ["x"]
    if opset == 10:
        inits["scales"] = np.array(scales, np.float32)
        names.append("scales")
    else:
        for key, value, dtype in (("roi", roi, np.float32), ("scales", scales, np.float32), ("sizes", sizes, np.int64)):
            if value is None and not (opset == 11 and key != "sizes"):
                names.append("")
            else:
                inits[key] = np.array([] if value is None else value, dtype)
                names.append(key)
        while names[-1] == "":
            names.pop()
    single(name, "Resize", x, inits, opset=opset, inputs=names, outputs=outputs, **attributes)


@case
def resize_cases():
    for rounding in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        for coordinates in ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"):
            resize(f"resize_nearest_{rounding}_{coordinates}", (1, 2, 5, 6), sizes=[1, 2, 8, 9], mode="nearest",
                   nearest_mode=rounding, coordinate_transformation_mode=coordinates)
    resize("resize_nearest_down_ties", (1, 1, 6, 8), scales=[1, 1, 0.5, 0.75], mode="nearest")
    resize("resize_nearest_yolo_2x", (1, 3, 4, 5), scales=[1, 1, 2, 2], mode="nearest", nearest_mode="floor",
           coordinate_transformation_mode="asymmetric")
    resize("resize_nearest_det_8x_opset11", (1, 2, 3, 3), scales=[1, 1, 8, 8], opset=11, mode="nearest",
           nearest_mode="floor", coordinate_transformation_mode="asymmetric")
    resize("resize_nearest_opset10", (1, 2, 3, 4), scales=[1, 1, 2.5, 0.5], opset=10, mode="nearest")
    resize("resize_nearest_channels", (2, 3, 4), scales=[1, 2, 1.5], mode="nearest")
    for coordinates in ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"):
        resize(f"resize_linear_up_{coordinates}", (1, 2, 4, 5), scales=[1, 1, 2, 1.5], mode="linear",
               coordinate_transformation_mode=coordinates)
        resize(f"resize_linear_down_{coordinates}", (2, 1, 9, 7), sizes=[2, 1, 4, 3], mode="linear",
               coordinate_transformation_mode=coordinates)
    resize("resize_linear_pytorch_size1", (1, 1, 4, 5), sizes=[1, 1, 1, 3], mode="linear",
           coordinate_transformation_mode="pytorch_half_pixel")
    resize("resize_linear_crop", (1, 1, 6, 7), roi=[0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2], sizes=[1, 1, 5, 6], mode="linear",
           coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-3.0)
    resize("resize_nearest_crop", (1, 1, 6, 7), roi=[0, 0, -0.1, 0.3, 1, 1, 0.8, 1.1], sizes=[1, 1, 4, 5], mode="nearest",
           coordinate_transformation_mode="tf_crop_and_resize")
    resize("resize_linear_opset10", (1, 2, 3, 4), scales=[1, 1, 2, 3], opset=10, mode="linear")
    resize("resize_trilinear", (1, 1, 3, 4, 5), sizes=[1, 1, 5, 6, 4], mode="linear")
    resize("resize_cubic", (1, 2, 5, 6), scales=[1, 1, 1.6, 2], mode="cubic")
    # 8-bit Resize (ONNX Runtime's QOperator models): nearest copies values, linear truncates toward zero.
    for dtype, elem, tag in EIGHT_BIT:
        resize(f"resize_nearest_{tag}", (1, 2, 4, 5), scales=[1, 1, 2, 2], x=eight_bit("resize_" + tag, dtype, 1, 2, 4, 5),
               outputs=(("y", elem),), mode="nearest")
        resize(f"resize_linear_{tag}", (1, 2, 5, 6), scales=[1, 1, 1.7, 2.5], x=eight_bit("resize_linear_" + tag, dtype, 1, 2, 5, 6),
               outputs=(("y", elem),), mode="linear")
    resize("resize_cubic_align_corners_a05", (1, 1, 6, 5), sizes=[1, 1, 4, 9], mode="cubic", cubic_coeff_a=-0.5,
           coordinate_transformation_mode="align_corners")
    resize("resize_cubic_exclude_outside", (1, 1, 5, 5), scales=[1, 1, 0.8, 1.4], mode="cubic", exclude_outside=1)
    resize("resize_linear_axes_opset18", (1, 2, 4, 6), sizes=[6, 9], opset=18, mode="linear", axes=[2, 3])
    resize("resize_not_larger_opset18", (1, 1, 4, 6), sizes=[8, 9], opset=18, mode="nearest", axes=[2, 3],
           keep_aspect_ratio_policy="not_larger")
    resize("resize_not_smaller_opset18", (1, 1, 4, 6), sizes=[7, 9], opset=18, mode="linear", axes=[2, 3],
           keep_aspect_ratio_policy="not_smaller")
    resize("resize_crop_same_size", (1, 1, 5, 6), roi=[0, 0, 0.2, 0.2, 1, 1, 0.8, 0.8], sizes=[1, 1, 5, 6], mode="linear",
           coordinate_transformation_mode="tf_crop_and_resize")
    resize("resize_half_pixel_symmetric_opset19", (1, 1, 5, 4), sizes=[1, 1, 7, 3], opset=19, mode="linear",
           coordinate_transformation_mode="half_pixel_symmetric")
    x = normal("upsample_nearest_opset7", 1, 2, 3, 4)
    single("upsample_nearest_opset7", "Upsample", x, opset=7, scales=[1.0, 1.0, 2.0, 3.0])
    x = normal("upsample_linear_opset9", 1, 2, 3, 4)
    single("upsample_linear_opset9", "Upsample", x, {"scales": np.array([1, 1, 2, 1.5], np.float32)}, opset=9, mode="linear")


@case
def pad_cases():
    def pad(name, x, pads, mode="constant", value=None, axes=None, opset=13):
        inits = {"pads": np.array(pads, np.int64)}
        names = ["x", "pads"]
        if value is not None:
            inits["value"] = np.array(value, x.dtype)
            names.append("value")
        if axes is not None:
            inits["axes"] = np.array(axes, np.int64)
            names += [""] * (3 - len(names)) + ["axes"]
        single(name, "Pad", x, inits, opset=opset, inputs=names, mode=mode,
               outputs=(("y", helper.np_dtype_to_tensor_dtype(x.dtype)),))
    x = normal("pad", 2, 3, 4, 5)
    pad("pad_constant_zero", x, [0, 0, 1, 2, 0, 1, 2, 1])
    pad("pad_constant_value", x, [1, 0, 0, 3, 0, 2, 1, 0], value=-1.5)
    pad("pad_constant_negative_crop", x, [0, -1, 2, -2, 0, 0, -1, 1])
    pad("pad_reflect", x, [0, 0, 3, 2, 0, 0, 1, 4], mode="reflect")
    pad("pad_edge", x, [0, 1, 2, 3, 1, 0, 3, 2], mode="edge")
    pad("pad_wrap_opset19", x, [0, 0, 2, 3, 0, 0, 1, 4], mode="wrap", opset=19)
    pad("pad_axes_opset18", x, [1, 2, 3, 0], axes=[1, -1], opset=18, value=2.0)
    pad("pad_int64", np.arange(12, dtype=np.int64).reshape(3, 4), [1, 1, 0, 2], value=7)
    pad("pad_uint8_reflect", np.arange(10, dtype=np.uint8).reshape(2, 5), [0, 2, 0, 3], mode="reflect")
    pad("pad_1d_edge", normal("pad1d", 4), [3, 2], mode="edge")
    single("pad_attribute_opset2", "Pad", x, opset=2, pads=[0, 0, 1, 1, 0, 0, 2, 0], value=0.25)
    single("pad_attribute_reflect_opset10", "Pad", x, opset=10, pads=[0, 0, 2, 1, 0, 0, 1, 3], mode="reflect")


def recurrent(name, op, steps, batch, inputs, hidden, direction="forward", bias=True, lengths=None, initial=False,
              peepholes=False, opset=14, **attributes):
    """LSTM, GRU or RNN with every optional input chosen by flag; all outputs requested."""
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    directions = 2 if direction == "bidirectional" else 1
    x = normal(name, steps, batch, inputs)
    state_shape = (directions, batch, hidden)
    inits = {"w": normal(name + "w", directions, gates * hidden, inputs, scale=0.5),
             "r": normal(name + "r", directions, gates * hidden, hidden, scale=0.5)}
    names = ["x", "w", "r"]
    optional = [("b", bias, lambda: normal(name + "b", directions, 2 * gates * hidden, scale=0.5)),
                ("lens", lengths is not None, lambda: np.array(lengths, np.int32)),
                ("h0", initial, lambda: normal(name + "h0", *state_shape)),
                ("c0", initial and op == "LSTM", lambda: normal(name + "c0", *state_shape)),
                ("p", peepholes, lambda: normal(name + "p", directions, 3 * hidden, scale=0.5))]
    for key, wanted, make in optional:
        if wanted:
            inits[key] = make()
        names.append(key if wanted else "")
    while names[-1] == "":
        names.pop()
    outputs = ["y", "y_h"] + (["y_c"] if op == "LSTM" else [])
    single(name, op, x, inits, opset=opset, inputs=names, outputs=outputs, direction=direction, hidden_size=hidden,
           **attributes)


@case
def recurrent_cases():
    recurrent("lstm_forward", "LSTM", 4, 2, 3, 5)
    recurrent("lstm_reverse_no_bias", "LSTM", 3, 1, 4, 3, direction="reverse", bias=False)
    recurrent("lstm_bidirectional_lengths", "LSTM", 5, 3, 2, 4, direction="bidirectional", lengths=[5, 2, 3], initial=True)
    recurrent("lstm_peepholes_clip", "LSTM", 4, 2, 3, 3, peepholes=True, initial=True, clip=0.7)
    recurrent("lstm_input_forget", "LSTM", 3, 2, 2, 3, input_forget=1)
    recurrent("lstm_activations", "LSTM", 3, 1, 2, 3, activations=["HardSigmoid", "LeakyRelu", "Softsign"],
              activation_alpha=[0.3, 0.1], activation_beta=[0.4])
    recurrent("lstm_opset7", "LSTM", 3, 2, 3, 2, direction="bidirectional", opset=7)
    recurrent("gru_forward", "GRU", 4, 2, 3, 5)
    recurrent("gru_linear_before_reset", "GRU", 4, 2, 3, 4, linear_before_reset=1, initial=True)
    recurrent("gru_reverse_lengths", "GRU", 5, 3, 2, 3, direction="reverse", lengths=[1, 5, 3], initial=True)
    recurrent("gru_bidirectional", "GRU", 3, 2, 4, 3, direction="bidirectional", linear_before_reset=1)
    recurrent("gru_clip_no_bias", "GRU", 3, 1, 2, 4, bias=False, clip=0.5)
    recurrent("rnn_forward", "RNN", 4, 2, 3, 5)
    recurrent("rnn_reverse_lengths", "RNN", 5, 3, 2, 3, direction="reverse", lengths=[1, 5, 3], initial=True)
    recurrent("rnn_bidirectional_clip", "RNN", 3, 2, 4, 3, direction="bidirectional", clip=0.6, initial=True)
    recurrent("rnn_activations_no_bias", "RNN", 3, 1, 2, 4, bias=False, activations=["Relu"])
    recurrent("rnn_opset7", "RNN", 3, 2, 3, 2, direction="bidirectional", opset=7, activations=["Sigmoid", "Tanh"])


def build():
    for c in CASES:
        c()
    assert len(set(WRITTEN)) == len(WRITTEN), "two cases share a name"
    return len(WRITTEN)
