#!/usr/bin/env python3
"""Checks that `qconvert compare` lists every quantized node of a QDQ model, counted here independently.

A node (other than QuantizeLinear/DequantizeLinear) is quantized when it reads a DequantizeLinear
output and either one of those DequantizeLinear nodes reads a constant (weight, bias, a Mul's factor)
or its output, directly or through one Relu/Clip/LeakyRelu, goes into a QuantizeLinear. Counted with
the onnx package from the file; compared with the rows of `qconvert compare --report x.json` by node
name (an unnamed node is "OpType -> first output"). Exit status 1 when a node is missing or extra, or
has no figures although the float model has its value. Needs onnx.

Usage: check-compare.py --qconvert BIN FLOAT.onnx QUANT.onnx --data DIR [--samples N]
"""
import argparse, collections, json, os, subprocess, sys, tempfile

import onnx


def quantized_nodes(path):
    graph = onnx.load(path).graph
    producer = {o: n for n in graph.node for o in n.output}
    consumers = collections.defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    constants = {i.name for i in graph.initializer}

    def quantized_after(value, hops=1):
        for reader in consumers[value]:
            if reader.op_type == "QuantizeLinear":
                return True
        readers = consumers[value]
        return hops > 0 and len(readers) == 1 and readers[0].op_type in ("Relu", "Clip", "LeakyRelu") and quantized_after(readers[0].output[0], 0)

    names = []
    for node in graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            continue
        dequantized = [producer[i] for i in node.input if i in producer and producer[i].op_type == "DequantizeLinear"]
        if not dequantized:
            continue
        if any(d.input[0] in constants for d in dequantized) or quantized_after(node.output[0]):
            names.append(node.name or f"{node.op_type} -> {node.output[0]}")  # qconvert's name for an unnamed node
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qconvert", required=True)
    parser.add_argument("float")
    parser.add_argument("quantized")
    parser.add_argument("--data", required=True)
    parser.add_argument("--samples", default="4")
    args = parser.parse_args()
    expected = quantized_nodes(args.quantized)
    with tempfile.TemporaryDirectory() as scratch:
        report_path = os.path.join(scratch, "report.json")
        subprocess.run([os.path.abspath(args.qconvert), "compare", args.float, args.quantized, "--data", args.data,
                        "--samples", args.samples, "--report", report_path], check=True, stdout=subprocess.DEVNULL)
        with open(report_path) as f:
            report = json.load(f)
    rows = report["rows"]
    listed = [row["node"] for row in rows]
    missing = [n for n in expected if n not in set(listed)]
    extra = [n for n in listed if n not in set(expected)]
    # A value ONNX Runtime's pre-processing made (opset conversion, its transpose optimizer) has no float
    # counterpart by name: listed, not measured. Any other row must have figures.
    unmatched = [row["node"] for row in rows if not row.get("matched", True)]
    unmeasured = [row["node"] for row in rows if row.get("matched", True) and "accumulated" not in row]
    by_op = collections.Counter(row["op_type"] for row in rows)
    worst = min((row["accumulated"]["sqnr"] for row in rows if "accumulated" in row and row["accumulated"]["sqnr"] != "inf"), default=None)
    print(json.dumps({"quantized": args.quantized, "counted_here": len(expected), "listed_by_compare": len(listed),
                      "missing": missing, "extra": extra, "no_float_counterpart": unmatched, "without_figures": unmeasured, "output_sqnr": report["output_sqnr"],
                      "worst_accumulated_db": worst, "by_op": dict(by_op.most_common())}))
    sys.exit(1 if missing or extra or unmeasured else 0)


if __name__ == "__main__":
    main()
