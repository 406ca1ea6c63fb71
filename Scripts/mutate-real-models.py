#!/usr/bin/env python3
# Mutates each real model (bit flips, truncation, protobuf field duplication, random byte ranges, field
# values set to extremes) and runs `qconvert inspect` and `qconvert quantize` on every copy with a 10 s
# limit; counts crashes (death by a signal), timeouts, clean errors (exit 1, one `error:` line) and
# successes per model.
# Needs: python3 (stdlib only), a built qconvert, the real models and their calib folders
# (../shared/real-models/setup.sh). Usage: mutate-real-models.py --qconvert BIN [--real DIR] [--count 250]
import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

MODELS = ["ppocr_cls", "ppocrv4_det", "ppocrv4_rec", "yolov8n_320"]
MUTATIONS = ["bit_flips", "truncation", "field_duplication", "byte_range", "field_value"]
TIMEOUT = 10.0
# An address-space cap per run, so that a mutated shape asking for terabytes fails inside qconvert
# (a finding if it dies by a signal) instead of taking the shared machine's memory.
MEMORY_LIMIT = 6 << 30

# Which length-delimited fields of each ONNX message are messages, by field number (onnx.proto; the
# same numbers as Sources/COnnx/onnx-trimmed.proto). Field duplication descends through these.
SCHEMA = {
    "Model": {7: "Graph", 8: "OpsetId", 14: "Entry"},
    "Graph": {1: "Node", 5: "Tensor", 11: "ValueInfo", 12: "ValueInfo", 13: "ValueInfo"},
    "Node": {5: "Attribute"},
    "Attribute": {5: "Tensor", 6: "Graph", 10: "Tensor", 11: "Graph"},
    "Tensor": {13: "Entry"},
    "ValueInfo": {2: "Type"},
    "Type": {1: "TensorType"},
    "TensorType": {2: "Shape"},
    "Shape": {1: "Dim"},
    "Dim": {}, "OpsetId": {}, "Entry": {},
}


def varint(data, at):
    """Decodes a varint at `at`; returns (value, next offset)."""
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if byte < 0x80:
            return value, at


def encode_varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fields(data):
    """The fields of a serialized message: (number, wire type, start, payload start, end)."""
    out, at = [], 0
    while at < len(data):
        start = at
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, at = varint(data, at)
            payload = start
        elif wire == 1:
            payload, at = at, at + 8
        elif wire == 5:
            payload, at = at, at + 4
        elif wire == 2:
            length, payload = varint(data, at)
            at = payload + length
        else:
            raise ValueError("unsupported wire type")
        if at > len(data):
            raise ValueError("field runs past the end")
        out.append((number, wire, start, payload, at))
    return out


def duplicate_field(data, kind, rng):
    """Re-appends the bytes of one field, chosen at a random depth of nesting, to the message
    holding it (protobuf merges a repeated singular message field and appends to a repeated one, so
    the result is a different but well-formed file); lengths of the enclosing messages are fixed."""
    found = fields(data)
    if not found:
        return data
    children = [f for f in found if f[1] == 2 and f[0] in SCHEMA[kind]]
    if children and rng.random() < 0.75:
        number, _, start, payload, end = rng.choice(children)
        inner = duplicate_field(data[payload:end], SCHEMA[kind][number], rng)
        head = encode_varint((number << 3) | 2) + encode_varint(len(inner))
        return data[:start] + head + inner + data[end:]
    _, _, start, _, end = rng.choice(found)
    return data + data[start:end]


# Values a field is set to by the value mutation: limits of int32/int64, powers of two that overflow
# products of dims, small counts, -1 (which ONNX uses as "infer" or "last").
INTERESTING = [0, 1, 2, 3, 7, -1, -2, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 62, 2 ** 63 - 1, -2 ** 63]


def value_sites(data, kind="Model", path=()):
    """Where the value mutation can act: every varint field (by its path of field indices from the
    root) and the payload of small integer tensors (shape, axes, pads, indices), by absolute range."""
    varints, payloads = [], []

    def walk(data, kind, path, base):
        for index, (number, wire, start, payload, end) in enumerate(fields(data)):
            if wire == 0:
                varints.append(path + (index,))
            elif wire == 2 and kind == "Tensor" and number == 9 and 0 < end - payload <= 64:
                payloads.append((base + payload, base + end))
            elif wire == 2 and number in SCHEMA[kind]:
                walk(data[payload:end], SCHEMA[kind][number], path + (index,), base + payload)

    walk(data, kind, path, 0)
    return varints, payloads


def set_varint(data, path, value):
    """`data` with the varint at `path` set to `value` (two's complement for negatives), the lengths of
    the messages around it fixed."""
    number, wire, start, payload, end = fields(data)[path[0]]
    if len(path) == 1:
        return data[:start] + encode_varint(number << 3) + encode_varint(value & (2 ** 64 - 1)) + data[end:]
    inner = set_varint(data[payload:end], path[1:], value)
    return data[:start] + encode_varint((number << 3) | 2) + encode_varint(len(inner)) + inner + data[end:]


def set_field_value(data, rng, sites):
    """Sets one varint field (an attribute int, a dim, a data type, an opset...) or one element of a
    small integer tensor (a Reshape shape, Slice bounds, Gather indices) to an interesting value:
    the file stays well-formed protobuf, so the change reaches shape logic and kernels."""
    varints, payloads = sites
    value = rng.choice(INTERESTING)
    if payloads and (not varints or rng.random() < 0.5):
        start, end = rng.choice(payloads)
        width = 8 if (end - start) % 8 == 0 else 4
        at = start + width * rng.randrange((end - start) // width)
        return data[:at] + (value & (2 ** (8 * width) - 1)).to_bytes(width, "little") + data[at + width:]
    path = rng.choice(varints)
    if rng.random() < 0.3:
        value = current_varint(data, path) + rng.choice([-1, 1])  # off by one instead
    return set_varint(data, path, value)


def current_varint(data, path):
    """The value of the varint field at `path`, as a signed 64-bit number."""
    for index in path[:-1]:
        _, _, _, payload, end = fields(data)[index]
        data = data[payload:end]
    number, _, start, _, _ = fields(data)[path[-1]]
    value, _ = varint(data, start + len(encode_varint(number << 3)))
    return value - 2 ** 64 if value >= 2 ** 63 else value


def bulk_ranges(data, kind="Model", base=0, out=None):
    """Byte ranges holding tensor payloads (TensorProto raw_data and the typed data fields), found by
    walking the message tree."""
    out = [] if out is None else out
    for number, wire, _, payload, end in fields(data):
        if wire != 2:
            continue
        if kind == "Tensor" and number in (4, 5, 7, 9, 10, 11):
            out.append((base + payload, base + end))
        elif number in SCHEMA[kind]:
            bulk_ranges(data[payload:end], SCHEMA[kind][number], base + payload, out)
    return out


class Positions:
    """Picks byte offsets to mutate. Weights are nearly all of a real model's bytes, so uniform
    offsets would mostly perturb weights, which every reader accepts; nine picks in ten land in
    the structure (names, dims, attributes, types, lengths) instead."""

    def __init__(self, data):
        self.size = len(data)
        self.structure, at = [], 0
        for start, end in sorted(bulk_ranges(data)):
            if start > at:
                self.structure.append((at, start))
            at = max(at, end)
        if at < self.size:
            self.structure.append((at, self.size))
        self.total = sum(end - start for start, end in self.structure)

    def pick(self, rng):
        if self.total == 0 or rng.random() < 0.1:
            return rng.randrange(self.size)
        k = rng.randrange(self.total)
        for start, end in self.structure:
            if k < end - start:
                return start + k
            k -= end - start


def mutate(data, kind, rng, positions, sites):
    data = bytearray(data)
    if kind == "bit_flips":
        for _ in range(rng.randint(1, 16)):
            data[positions.pick(rng)] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == "truncation":
        return bytes(data[:positions.pick(rng)])
    if kind == "field_duplication":
        return duplicate_field(bytes(data), "Model", rng)
    if kind == "field_value":
        return set_field_value(bytes(data), rng, sites)
    start = positions.pick(rng)
    length = rng.randint(1, 256)
    data[start:start + length] = bytes(rng.randrange(256) for _ in range(length))
    return bytes(data)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(command):
    """Runs a command; returns (outcome, seconds, stderr)."""
    started = time.monotonic()
    try:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              timeout=TIMEOUT, preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started, ""
    seconds = time.monotonic() - started
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode < 0:
        return "crash", seconds, stderr
    if done.returncode == 0:
        return "success", seconds, stderr
    lines = stderr.splitlines()
    if done.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "):
        return "clean_error", seconds, stderr
    return "unclean_error", seconds, stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qconvert", required=True)
    parser.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    parser.add_argument("--count", type=int, default=250)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", help="copy inputs that crash, hang or fail uncleanly into this folder")
    parser.add_argument("--models", default=",".join(MODELS))
    # Default: quantize's own defaults (equalization, GPTQ, the method search), the code users run; on
    # 2 samples its slowest run here takes 4.6 s (ppocrv4_det), under the 10 s hang limit.
    parser.add_argument("--quantize-flags", default="",
                        help="extra flags for quantize, e.g. '--method minmax --weight-rounding nearest' (default: none)")
    args = parser.parse_args()
    binary = os.path.abspath(args.qconvert)
    outcomes = ["success", "clean_error", "unclean_error", "crash", "timeout"]
    totals, bad = {}, 0
    work = tempfile.mkdtemp(prefix="qconvert-mutate-")
    try:
        for name in args.models.split(","):
            original = open(os.path.join(args.real, "models", name + ".onnx"), "rb").read()
            calib = os.path.join(args.real, "data", name, "calib")
            rng = random.Random(f"{args.seed}-{name}")
            positions = Positions(original)
            sites = value_sites(original)
            counts = {(cmd, o): 0 for cmd in ("inspect", "quantize") for o in outcomes}
            slowest = 0.0
            for index in range(args.count):
                kind = MUTATIONS[index % len(MUTATIONS)]
                folder = os.path.join(work, f"{name}-{index}")
                os.makedirs(folder)
                model = os.path.join(folder, "model.onnx")
                with open(model, "wb") as f:
                    f.write(mutate(original, kind, rng, positions, sites))
                output = os.path.join(folder, "out.onnx")
                commands = {
                    "inspect": [binary, "inspect", model],
                    "quantize": [binary, model, "--calib", calib, "--samples", str(args.samples), "--holdout", "0",
                                 "--quiet", "-o", output] + args.quantize_flags.split(),
                }
                for cmd, command in commands.items():
                    outcome, seconds, stderr = run(command)
                    slowest = max(slowest, seconds)
                    counts[(cmd, outcome)] += 1
                    left = sorted(set(os.listdir(folder)) - {"model.onnx", "out.onnx"})
                    if left or (outcome != "success" and os.path.exists(output)):
                        outcome = "unclean_error"
                        stderr += f" [left behind: {left or ['out.onnx']}]"
                    if outcome in ("crash", "timeout", "unclean_error"):
                        bad += 1
                        print(f"{name} #{index} {kind} {cmd}: {outcome} after {seconds:.1f} s: {stderr.strip()[:300]}",
                              file=sys.stderr)
                        if args.keep:
                            os.makedirs(args.keep, exist_ok=True)
                            shutil.copy(model, os.path.join(args.keep, f"{name}-{index}-{kind}.onnx"))
                shutil.rmtree(folder)
            totals[name] = counts
            row = ", ".join(f"{cmd} " + " ".join(f"{o}={counts[(cmd, o)]}" for o in outcomes) for cmd in ("inspect", "quantize"))
            print(f"{name}: {args.count} mutants; {row}; slowest run {slowest:.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    crashes = sum(c[(cmd, o)] for c in totals.values() for cmd in ("inspect", "quantize") for o in ("crash", "timeout"))
    print(f"total: {crashes} crashes or timeouts, {bad} bad outcomes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
