#!/usr/bin/env bash
# Installs what building and testing qconvert needs on Debian 12, only where missing: the apt packages
# (protobuf, zlib; for the tests also Chromium, which renders the HTML report) and a Python venv (.venv)
# with numpy, onnx and onnxruntime. --no-python: only what building needs.
# Needs: Debian 12 with the Swift toolchain; root or sudo for apt. Usage: Scripts/setup-machine.sh [--no-python]
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libprotobuf-dev protobuf-compiler zlib1g-dev pkg-config)
[ "${1:-}" != "--no-python" ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-}" != "--no-python" ]; then
  if ! .venv/bin/python -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
    echo "creating .venv with numpy, onnx, onnxruntime" >&2
    python3 -m venv .venv
    .venv/bin/pip install -q numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0
  fi
fi
