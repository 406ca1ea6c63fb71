# Cases for models that call model-local functions (ModelProto.functions, IR 8), which the interpreter
# inlines as ONNX Runtime does: attributes taken from the call or the function's defaults, a function
# called twice, a function calling another, an optional input left out. Truth is ONNX Runtime.
# Needs: python with numpy, onnx, onnxruntime.
import numpy as np
from onnx import AttributeProto, helper

from .common import rng, save

DOMAIN = "local.fn"


def conv_act():
    """ConvAct(x, w, b) -> y: Conv with strides from the call (@stride), then LeakyRelu whose alpha the
    call may set (@alpha, default 0.2)."""
    stride = helper.make_attribute_ref("strides", AttributeProto.INTS, ref_attr_name="stride")
    alpha = helper.make_attribute_ref("alpha", AttributeProto.FLOAT, ref_attr_name="alpha")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("LeakyRelu", ["c"], ["y"])]
    nodes[0].attribute.append(stride)
    nodes[1].attribute.append(alpha)
    return helper.make_function(DOMAIN, "ConvAct", ["x", "w", "b"], ["y"], nodes, [helper.make_opsetid("", 13)],
                                attributes=["stride"], attribute_protos=[helper.make_attribute("alpha", 0.2)])


def local_function_called_twice():
    """Two calls of ConvAct, one setting alpha and one taking the default; the second reads the first's
    output, so the body's inner value names must be fresh for each call."""
    r = rng("local_function_called_twice")
    x = r.standard_normal((1, 3, 8, 8)).astype(np.float32)
    inits = {"w1": r.standard_normal((4, 3, 3, 3)).astype(np.float32), "b1": r.standard_normal(4).astype(np.float32),
             "w2": r.standard_normal((4, 4, 3, 3)).astype(np.float32), "b2": r.standard_normal(4).astype(np.float32)}
    nodes = [helper.make_node("ConvAct", ["x", "w1", "b1"], ["h"], domain=DOMAIN, name="block1", stride=[2, 2], alpha=0.05),
             helper.make_node("ConvAct", ["h", "w2", "b2"], ["y"], domain=DOMAIN, name="block2", stride=[1, 1])]
    save("local_function_called_twice", nodes, [("x", x)], ["y"], initializers=inits, extra_opsets={DOMAIN: 1},
         functions=[conv_act()])


def local_function_nested():
    """Residual(x, w) -> x + ConvAct(x, w, <no bias>): a function calling another, with ConvAct's
    optional bias input left out of the call."""
    r = rng("local_function_nested")
    x = r.standard_normal((2, 4, 6, 5)).astype(np.float32)
    inner = helper.make_node("ConvAct", ["x", "w", ""], ["a"], domain=DOMAIN, stride=[1, 1], alpha=0.1)
    residual = helper.make_function(DOMAIN, "Residual", ["x", "w"], ["y"], [inner, helper.make_node("Add", ["x", "a"], ["y"])],
                                    [helper.make_opsetid("", 13), helper.make_opsetid(DOMAIN, 1)])
    nodes = [helper.make_node("Residual", ["x", "w"], ["y"], domain=DOMAIN)]
    save("local_function_nested", nodes, [("x", x)], ["y"], initializers={"w": r.standard_normal((4, 4, 3, 3)).astype(np.float32)},
         extra_opsets={DOMAIN: 1}, functions=[conv_act(), residual])


def local_function_with_branches():
    """Pick(x, cond) -> y: an If whose then-branch makes its own 't' = Relu(x) * @scale (a Constant taking
    the call's attribute inside the branch) and whose else-branch is Neg(x). The main graph has a 't' of
    its own, and calls Pick twice: names bound in the branches must not clash."""
    r = rng("local_function_with_branches")
    scale = helper.make_node("Constant", [], ["k"])
    scale.attribute.append(helper.make_attribute_ref("value_float", AttributeProto.FLOAT, ref_attr_name="scale"))
    then_branch = helper.make_graph([helper.make_node("Relu", ["x"], ["t"]), scale, helper.make_node("Mul", ["t", "k"], ["u"])],
                                    "then", [], [helper.make_tensor_value_info("u", 1, None)])
    else_branch = helper.make_graph([helper.make_node("Neg", ["x"], ["v"])], "else", [], [helper.make_tensor_value_info("v", 1, None)])
    pick = helper.make_function(DOMAIN, "Pick", ["x", "cond"], ["y"],
                                [helper.make_node("If", ["cond"], ["y"], then_branch=then_branch, else_branch=else_branch)],
                                [helper.make_opsetid("", 13)], attribute_protos=[helper.make_attribute("scale", 2.0)])
    nodes = [helper.make_node("Abs", ["a"], ["t"]),
             helper.make_node("Pick", ["t", "c"], ["p"], domain=DOMAIN, scale=3.0),
             helper.make_node("Pick", ["p", "c"], ["y"], domain=DOMAIN)]
    a = r.standard_normal((3, 4)).astype(np.float32)
    save("local_function_with_branches", nodes, [("a", a), ("c", np.array(True))], ["y"], extra_opsets={DOMAIN: 1},
         functions=[pick])


def local_function_named_like_a_standard_op():
    """A default-domain function called Relu (computing Neg): ONNX Runtime runs the standard Relu, and so must we."""
    x = rng("local_function_named_like_a_standard_op").standard_normal((2, 5)).astype(np.float32)
    shadow = helper.make_function("", "Relu", ["x"], ["y"], [helper.make_node("Neg", ["x"], ["y"])], [helper.make_opsetid("", 13)])
    save("local_function_named_like_a_standard_op", [helper.make_node("Relu", ["x"], ["y"])], [("x", x)], ["y"], functions=[shadow])


def build():
    cases = [local_function_called_twice, local_function_nested, local_function_with_branches,
             local_function_named_like_a_standard_op]
    for c in cases:
        c()
    return len(cases)
