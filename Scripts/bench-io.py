#!/usr/bin/env python3
# Times model reading + writing: qconvert's reader+writer (in-process time that `qconvert copy --time`
# reports, and the whole process with start-up) against Python's onnx.load + onnx.save (in-process), on
# ppocrv4_rec and a generated 100 MB model; every run writes a new file (no run replaces the last one's
# output, which on ext4 forces a flush), after os.sync() so no run pays for the previous one's dirty pages
# (this VM's disk throttles writers once ~1 GB is pending: whichever tool ran later lost up to 5x), and
# the three measurements take turns run by run. Prints the ratios. Needs: a release build, python with onnx.
# Usage: bench-io.py --qconvert .build/release/qconvert [--real ~/.cache/qconvert-real] [--runs 7]
import argparse, os, statistics, subprocess, tempfile, time

import numpy as np
import onnx
from onnx import helper, numpy_helper


def big_model(path, megabytes=100):
    """A MatMul chain whose float weights total about `megabytes` MB (fixed seed)."""
    rng = np.random.default_rng(100)
    n = 1024
    layers = max(1, megabytes * 1_000_000 // (n * n * 4))
    inits, nodes, prev = [], [], "x"
    for i in range(layers):
        inits.append(numpy_helper.from_array(rng.standard_normal((n, n), dtype=np.float32), f"w{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"]))
        prev = f"h{i}"
    g = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", 1, [1, n])],
                          [helper.make_tensor_value_info(prev, 1, [1, n])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def timed(fn):
    """Seconds fn takes, started with no dirty pages pending."""
    os.sync()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def qconvert_inprocess(qconvert, path, out):
    """Read + write seconds as `qconvert copy --time` reports them."""
    os.sync()
    r = subprocess.run([qconvert, "copy", "--time", path, "-o", out], check=True, capture_output=True, text=True)
    words = r.stderr.strip().splitlines()[-1].replace(",", "").split()  # "read 8.1 ms write 6.3 ms"
    return (float(words[1]) + float(words[4])) / 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qconvert", required=True)
    ap.add_argument("--real", default=os.environ.get("QCONVERT_REAL", os.path.expanduser("~/.cache/qconvert-real")))
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = []
        rec = os.path.join(a.real, "models", "ppocrv4_rec.onnx")
        if os.path.exists(rec):
            models.append(("ppocrv4_rec", rec))
        big = os.path.join(tmp, "big100.onnx")
        big_model(big)
        models.append(("generated_100MB", big))
        print(f"{'model':16} {'size':>7} {'onnx load+save':>15} {'qconvert read+write':>20} {'ratio':>6}"
              f" {'qconvert process':>17} {'ratio':>6}")
        for name, path in models:
            py, inner, proc = [], [], []
            for i in range(a.runs):
                out = lambda tag: os.path.join(tmp, f"{tag}{i}.onnx")
                py.append(timed(lambda: onnx.save(onnx.load(path), out("py"))))
                inner.append(qconvert_inprocess(a.qconvert, path, out("qi")))
                proc.append(timed(lambda: subprocess.run([a.qconvert, "copy", path, "-o", out("qp")], check=True,
                                                         capture_output=True)))
                for tag in ("py", "qi", "qp"):
                    os.remove(out(tag))
            py, inner, proc = (statistics.median(times) for times in (py, inner, proc))
            size = os.path.getsize(path) / 1e6
            print(f"{name:16} {size:6.1f}M {py * 1000:13.1f}ms {inner * 1000:18.1f}ms {inner / py:6.2f}"
                  f" {proc * 1000:15.1f}ms {proc / py:6.2f}")


if __name__ == "__main__":
    main()
