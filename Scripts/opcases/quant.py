# Cases for the quantization ops the quantizer emits and the interpreter must run exactly: QuantizeLinear
# and DequantizeLinear, per tensor and per axis, with ties (x / scale exactly k + 0.5), saturation and
# omitted zero points. Truth: ONNX Runtime.
import numpy as np
from onnx import TensorProto, helper

from .common import rng, save


def quantize_per_tensor(name, dtype, zp):
    """QuantizeLinear with a scalar scale: ties round half to even, values past the range saturate."""
    r = rng(name)
    scale = np.float32(0.05)
    ties = (np.arange(-12, 12, dtype=np.float32) + 0.5) * scale  # exactly halfway between steps
    wide = r.uniform(-20, 20, 40).astype(np.float32)             # saturates both ends
    x = np.concatenate([ties, wide]).reshape(4, 16)
    elem = TensorProto.UINT8 if dtype == np.uint8 else TensorProto.INT8
    save(name, [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])], [("x", x)], [("y", elem)],
         initializers={"s": scale, "z": np.array(zp, dtype=dtype)})


def quantize_per_axis():
    """QuantizeLinear of a [8, 3, 2, 2] weight with one scale per output channel (axis 0), int8."""
    r = rng("quantize_per_axis")
    w = r.standard_normal((8, 3, 2, 2)).astype(np.float32)
    scale = (np.abs(w).reshape(8, -1).max(1) / 127).astype(np.float32)
    save("quantize_per_axis", [helper.make_node("QuantizeLinear", ["w", "s", "z"], ["q"], axis=0)], [("w", w)],
         [("q", TensorProto.INT8)], initializers={"s": scale, "z": np.zeros(8, np.int8)})


def quantize_no_zero_point():
    """QuantizeLinear without y_zero_point: uint8 output with zero point 0 (negatives clamp to 0)."""
    x = rng("quantize_no_zero_point").standard_normal((3, 5)).astype(np.float32)
    save("quantize_no_zero_point", [helper.make_node("QuantizeLinear", ["x", "s"], ["y"])], [("x", x)],
         [("y", TensorProto.UINT8)], initializers={"s": np.float32(0.02)})


def dequantize_cases():
    """DequantizeLinear of uint8 (per tensor), int8 per axis 1, and int32 bias (zero point 0)."""
    r = rng("dequantize")
    xu = r.integers(0, 256, (2, 6), dtype=np.uint8)
    save("dequantize_uint8", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"])], [("x", xu)], ["y"],
         initializers={"s": np.float32(0.017), "z": np.uint8(131)})
    xi = r.integers(-128, 128, (2, 4, 3), dtype=np.int8)
    save("dequantize_int8_axis1", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1)], [("x", xi)], ["y"],
         initializers={"s": np.array([0.1, 0.02, 0.003, 1.5], np.float32), "z": np.array([0, 3, -7, 12], np.int8)})
    b = r.integers(-2 ** 30, 2 ** 30, (16,), dtype=np.int32)
    save("dequantize_int32_bias", [helper.make_node("DequantizeLinear", ["b", "s"], ["y"], axis=0)], [("b", b)], ["y"],
         initializers={"s": r.uniform(1e-6, 1e-4, 16).astype(np.float32)})


def build():
    quantize_per_tensor("quantize_uint8_ties", np.uint8, 128)
    quantize_per_tensor("quantize_int8_ties", np.int8, -3)
    quantize_per_axis()
    quantize_no_zero_point()
    dequantize_cases()
    return 7
