#!/usr/bin/env python3
"""Renders qconvert's HTML report in headless Chromium and checks what a reader sees.

Quantizes MODEL with `--report x.html` (and the same run's report as x.json), loads the page in
headless Chromium (Debian's `chromium`; installed with apt-get when missing and running as root),
takes a screenshot, and checks in the DOM Chromium built: an <svg id="sqnr-chart"> with both series
(accumulated and local) holding one point per figure the JSON has, and one row in table#layers per
quantized node of the JSON. Prints a JSON summary; exit status 1 on any failed check.

Usage: check-html-report.py --qconvert BIN MODEL --calib DIR [--out DIR] [-- EXTRA QCONVERT FLAGS]
The HTML, JSON and screenshot (report.png) stay in --out (default: a new folder under /tmp).
"""
import argparse, json, os, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser


class Page(HTMLParser):
    """Counts what the checks need in the rendered DOM."""

    def __init__(self):
        super().__init__()
        self.stack, self.svg, self.series, self.points, self.layer_rows = [], False, set(), {}, 0
        self.in_layers = self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("id") == "sqnr-chart":
            self.svg = True
        if tag == "g" and "series" in (a.get("class") or "").split():
            name = [c for c in a["class"].split() if c != "series"][0]
            self.series.add(name)
            self.stack.append(name)
        elif tag == "g":
            self.stack.append(None)
        if tag == "circle" and self.stack and self.stack[-1]:
            self.points[self.stack[-1]] = self.points.get(self.stack[-1], 0) + 1
        if tag == "table":
            self.in_layers = a.get("id") == "layers"
        if tag == "tbody" and self.in_layers:
            self.in_body = True
        if tag == "tr" and self.in_body:
            self.layer_rows += 1

    def handle_endtag(self, tag):
        if tag == "g" and self.stack:
            self.stack.pop()
        if tag == "tbody":
            self.in_body = False
        if tag == "table":
            self.in_layers = False


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("chromium")
    sys.exit("error: Chromium not found: apt-get install chromium")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qconvert", required=True)
    parser.add_argument("model")
    parser.add_argument("--calib", required=True)
    parser.add_argument("--out")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="qconvert-html-")
    os.makedirs(out, exist_ok=True)
    html, js, png = (os.path.join(out, name) for name in ("report.html", "report.json", "report.png"))
    stats = os.path.join(out, "stats.json")
    common = [os.path.abspath(args.qconvert), args.model, "--calib", args.calib, "-o", os.path.join(out, "model.int8.onnx"), "--quiet"]
    # Calibrate once; the second run reads the same statistics, so both reports describe one model.
    for flags in (["--save-stats", stats, "--report", js], ["--load-stats", stats, "--report", html]):
        run = subprocess.run(common + flags + args.extra, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode != 0:
            sys.exit(f"error: qconvert exited with {run.returncode} on {args.model}: {run.stderr.strip()}")
    with open(js) as f:
        report = json.load(f)
    browser = chromium()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files"]
    dom = subprocess.run([browser] + flags + ["--dump-dom", "file://" + os.path.abspath(html)], check=True,
                         capture_output=True, text=True).stdout
    subprocess.run([browser] + flags + ["--window-size=1400,1800", f"--screenshot={png}", "file://" + os.path.abspath(html)],
                   check=True, capture_output=True)
    page = Page()
    page.feed(dom)
    rows = report["rows"]
    expected_points = {"accumulated": sum("accumulated" in r for r in rows), "local": sum("local" in r for r in rows)}
    checks = {
        "svg chart": page.svg,
        "both series": page.series >= {"accumulated", "local"},
        "one point per figure": all(page.points.get(k, 0) == v for k, v in expected_points.items()),
        "one table row per quantized node": page.layer_rows == report["quantized_node_count"] == len(rows),
        "screenshot": os.path.exists(png) and os.path.getsize(png) > 10_000,
    }
    print(json.dumps({"html": html, "screenshot": png, "quantized_nodes": len(rows), "table_rows": page.layer_rows,
                      "points": page.points, "expected_points": expected_points, "checks": checks}))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
