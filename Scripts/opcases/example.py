# Cases for the ops implemented with the interpreter's skeleton (Relu, Identity, Constant): the pattern
# other modules follow. Each builder makes one case; build() runs them all and returns the count.
import numpy as np
from onnx import helper

from .common import rng, save


def relu_odd_shape():
    """Relu on a rank-3 tensor with an odd element count, negative and positive values."""
    x = rng("relu_odd_shape").standard_normal((2, 3, 5)).astype(np.float32)
    save("relu_odd_shape", [helper.make_node("Relu", ["x"], ["y"])], [("x", x)], ["y"])


def identity_constant():
    """Identity of a Constant node's value added to nothing: checks Constant folding in the interpreter."""
    value = helper.make_tensor("c", 1, [2, 2], [1.0, -2.0, 3.5, 0.0])
    nodes = [helper.make_node("Constant", [], ["c"], value=value), helper.make_node("Identity", ["c"], ["y"]),
             helper.make_node("Relu", ["x"], ["z"])]
    x = rng("identity_constant").standard_normal((3,)).astype(np.float32)
    save("identity_constant", nodes, [("x", x)], ["y", "z"])


def build():
    cases = [relu_odd_shape, identity_constant]
    for c in cases:
        c()
    return len(cases)
