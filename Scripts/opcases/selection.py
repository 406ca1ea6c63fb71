# Cases for the data-dependent selection ops NonZero, OneHot and NonMaxSuppression: every element type and
# rank they meet, 0-d and empty results, ONNX Runtime's own readings (float indices truncated, negative
# indices under opset 9, max_output_boxes_per_class 0 keeping nothing, strict score_threshold, ties).
# Truth is ONNX Runtime. Needs: python with numpy, onnx, onnxruntime.
import numpy as np
from onnx import TensorProto as T
from onnx import helper

from .common import node_inputs, rng, save

CASES = []
WRITTEN = []


def case(f):
    CASES.append(f)
    return f


def one_node(name, op, args, out_type, opset=13, **attrs):
    """One `op` node whose inputs are ("x", array) runtime inputs, ("c", array) initializers or None
    (an omitted optional input), writing one output y of `out_type`."""
    names, inputs, inits = node_inputs(args)
    WRITTEN.append(name)
    save(name, [helper.make_node(op, names, ["y"], **attrs)], inputs, [("y", out_type)], initializers=inits, opset=opset)


def x(a):
    """A runtime input, C-ordered (the reader refuses Fortran order; np.ascontiguousarray would make 0-d 1-d)."""
    return ("x", np.array(a, order="C"))


def c(a):
    """An initializer (a constant input, as exporters write thresholds and depths)."""
    return ("c", np.array(a, order="C"))


@case
def nonzero_cases():
    r = rng("nonzero")
    one_node("nonzero_bool_2d", "NonZero", [x(r.random((3, 5)) > 0.6)], T.INT64)
    # -0.0 is zero, NaN is not; some rows all zero.
    f = r.standard_normal((2, 3, 4)).astype(np.float32)
    f[0, 1, :] = 0
    f[1, :, 2] = -0.0
    f[1, 0, 0] = np.nan
    one_node("nonzero_float_zeros_nan", "NonZero", [x(f)], T.INT64)
    one_node("nonzero_int64_all_zero", "NonZero", [x(np.zeros((2, 3), np.int64))], T.INT64)
    one_node("nonzero_empty_input", "NonZero", [x(np.zeros((2, 0, 3), np.float32))], T.INT64)
    # A 0-d input: ORT gives [1, count] (the ONNX text says [0, count]).
    one_node("nonzero_scalar_true", "NonZero", [x(np.float32(-2.5))], T.INT64)
    one_node("nonzero_scalar_zero", "NonZero", [x(np.int32(0))], T.INT64)
    one_node("nonzero_uint8_rank4_opset9", "NonZero", [x((r.random((2, 1, 3, 2)) * 3).astype(np.uint8))], T.INT64, opset=9)
    one_node("nonzero_int32_1d", "NonZero", [x(np.array([0, 7, 0, -3, 1, 0], np.int32))], T.INT64)


@case
def onehot_cases():
    # ORT registers only some (indices, values, depth) type triples; each case uses one of them.
    offon = np.array([-1.0, 2.0], np.float32)
    # Negative indices from the end, out of range both ways (all-off rows), last axis.
    one_node("onehot_negative_indices", "OneHot",
             [x(np.array([[0, -1, 3], [-3, -4, 2]], np.int64)), c(np.int64(3)), c(offon)], T.FLOAT, opset=11)
    # New axis first; depth given as a 1-element int32 tensor.
    one_node("onehot_axis0_int32", "OneHot",
             [x(np.array([[1, 0], [-1, 4]], np.int32)), c(np.array([3], np.int32)), c(offon)], T.FLOAT, opset=11, axis=0)
    # Opset 9 under ORT counts negative indices from the end too; the axis in the middle; float depth.
    one_node("onehot_axis1_opset9_negative", "OneHot",
             [x(np.array([[2, -1, 0], [-2, 1, 5]], np.int64)), c(np.float32(4.0)), c(offon)], T.FLOAT, opset=9, axis=1)
    # Float indices are truncated toward zero before the negative shift; NaN and infinities light nothing;
    # depth 3.7 is 3.
    fidx = np.array([0.0, 1.5, -1.5, 2.9, -0.5, -2.9999, -3.0, -3.5, np.nan, np.inf, -np.inf, 3.0], np.float32)
    one_node("onehot_float_indices_truncated", "OneHot", [x(fidx), c(np.float32(3.7)), c(offon)], T.FLOAT, opset=11)
    # int64 values, float indices, axis -2 (second to last of the output).
    one_node("onehot_int64_values_axis_neg2", "OneHot",
             [x(np.array([[1.0, 0.0, 4.0], [2.0, -1.0, 3.0]], np.float32)), c(np.int64(4)), c(np.array([7, -9], np.int64))],
             T.INT64, opset=11, axis=-2)
    one_node("onehot_int32_values", "OneHot",
             [x(np.array([3, 0, -2, 9], np.int64)), c(np.float32(5)), c(np.array([0, 1], np.int32))], T.INT32, opset=11)
    one_node("onehot_empty_indices", "OneHot",
             [x(np.zeros((0, 2), np.int64)), c(np.int64(4)), c(offon)], T.FLOAT, opset=11, axis=1)


def clustered_boxes(name, batches, count, centers=3):
    """[batches, count, 4] corner boxes [y1, x1, y2, x2] jittered around a few centers, so some overlap
    heavily and some not at all."""
    r = rng(name)
    middle = r.integers(0, centers, (batches, count))[..., None] * 3.0 + r.normal(0, 0.3, (batches, count, 2))
    half = r.uniform(0.5, 1.5, (batches, count, 2))
    return np.concatenate([middle - half, middle + half], axis=-1).astype(np.float32)


def scores(name, batches, classes, count):
    return rng(name + "s").random((batches, classes, count)).astype(np.float32)


def nms(name, args, opset=11, **attrs):
    one_node(name, "NonMaxSuppression", args, T.INT64, opset=opset, **attrs)


def limit(n):
    return c(np.array([n], np.int64))


def threshold(t):
    return c(np.array([t], np.float32))


@case
def nms_cases():
    b, s = clustered_boxes("nms_batches", 2, 12), scores("nms_batches", 2, 3, 12)
    nms("nms_batches_classes", [x(b), x(s), limit(4), threshold(0.4), threshold(0.2)])
    nms("nms_no_score_threshold_opset10", [x(b), x(s), limit(20), threshold(0.5)], opset=10)
    nms("nms_limit_one_iou_zero", [x(b), x(s), limit(1), threshold(0.0)])
    # iou_threshold omitted (default 0) with a score_threshold after it.
    nms("nms_iou_omitted", [x(b), x(s), limit(4), None, threshold(0.5)])
    # max_output_boxes_per_class omitted (default 0) or negative: nothing is kept.
    nms("nms_default_limit_keeps_nothing", [x(b), x(s)])
    nms("nms_negative_limit", [x(b), x(s), limit(-3), threshold(0.5)])
    # Corners given in either order per axis: [y2, x2, y1, x1] for every other box, [y1, x2, y2, x1] for some.
    flipped = b.copy()
    flipped[:, ::2] = b[:, ::2][..., [2, 3, 0, 1]]
    flipped[:, 1::4] = b[:, 1::4][..., [0, 3, 2, 1]]
    nms("nms_flipped_corners", [x(flipped), x(s), limit(5), threshold(0.3)])
    # Center boxes [xc, yc, w, h]; two with a negative width and height (area positive, edges crossed).
    corners = clustered_boxes("nms_center", 1, 10)
    center = np.concatenate([(corners[..., [1, 0]] + corners[..., [3, 2]]) / 2, corners[..., [3, 2]] - corners[..., [1, 0]]], -1)
    center[0, [3, 7], 2:] *= -1
    nms("nms_center_point_box", [x(center), x(scores("nms_center", 1, 2, 10)), limit(10), threshold(0.3)], center_point_box=1)
    # Equal scores keep index order; a score equal to score_threshold is dropped (ORT keeps only > it).
    tied_boxes = np.array([[[0, 0, 1, 1], [0, 0.2, 1, 1.2], [5, 5, 6, 6], [0, 3, 1, 4], [5, 5.1, 6, 6.1], [9, 9, 10, 10]]], np.float32)
    tied = np.array([[[0.5, 0.5, 0.5, 0.7, 0.5, 0.3], [0.3, 0.9, 0.3, 0.3, 0.9, 0.2]]], np.float32)
    nms("nms_tied_scores", [x(tied_boxes), x(tied), limit(6), threshold(0.5), threshold(0.3)])
    # iou_threshold 0: any overlap suppresses, touching edges do not. IoU exactly 0.5 at threshold 0.5 keeps.
    edges = np.array([[[0, 0, 1, 2], [0, 0, 1, 1], [0, 2, 1, 3], [1, 2, 2, 3], [0.5, 2.5, 1.5, 3.5]]], np.float32)
    edge_scores = np.array([[[0.9, 0.8, 0.7, 0.6, 0.5]]], np.float32)
    nms("nms_iou_zero_touching", [x(edges), x(edge_scores), limit(5), threshold(0.0)])
    nms("nms_iou_equal_threshold", [x(edges), x(edge_scores), limit(5), threshold(0.5)])
    nms("nms_no_boxes", [x(np.zeros((2, 0, 4), np.float32)), x(np.zeros((2, 3, 0), np.float32)), limit(3), threshold(0.5)])


def build():
    for f in CASES:
        f()
    return len(WRITTEN)
