#!/usr/bin/env python3
# Builds the single-op test cases in Fixtures/ops/<case>/ (model.onnx, inputs, ONNX Runtime outputs) that
# `swift test` checks every kernel against. Each module in Scripts/opcases/ contributes cases.
# Needs: python with numpy, onnx, onnxruntime. Usage: make-op-cases.py [MODULE ...]  (default: all)
import importlib
import os
import pkgutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opcases  # noqa: E402


def main():
    wanted = sys.argv[1:]
    names = [m.name for m in pkgutil.iter_modules(opcases.__path__) if m.name != "common"]
    total = 0
    for name in sorted(names):
        if wanted and name not in wanted:
            continue
        module = importlib.import_module("opcases." + name)
        count = module.build()
        print(f"{name}: {count} cases", file=sys.stderr)
        total += count
    print(f"total: {total} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
