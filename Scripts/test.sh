#!/usr/bin/env bash
# The test command: from a fresh Debian 12 machine with Swift to a passing test suite. Installs what is
# missing, checks the generated protobuf code is current, builds, runs `swift test`, then the cross-check
# scripts against ONNX Runtime (round trip, prepare; with the real models too when ../shared/real-models
# is reachable: interpreter outputs on every calibration sample).
# Needs: Debian 12, Swift 6, network for apt/PyPI on first run. Usage: Scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup-machine.sh
Scripts/gen-proto.sh --check
swift build --build-tests
swift test
real=${QCONVERT_REAL:-$HOME/.cache/qconvert-real}
shared=${QCONVERT_SHARED:-../shared}
if [ ! -d "$real/models" ] && [ -x "$shared/real-models/setup.sh" ]; then
  echo "fetching real models into $real (first run only)" >&2
  "$shared/real-models/setup.sh" "$real"
fi
real_args=()
if [ -d "$real/models" ]; then
  real_args=(--real "$real")
else
  echo "note: no real models at $real and no $shared/real-models/setup.sh; real-model checks skipped" >&2
fi
.venv/bin/python Scripts/roundtrip-check.py --qconvert .build/debug/qconvert "${real_args[@]}"
.venv/bin/python Scripts/check-prepare.py --qconvert .build/debug/qconvert "${real_args[@]}"
if [ -d "$real/models" ]; then
  # Release build: the debug one takes minutes over the 224 calibration samples.
  swift build -c release --product qconvert
  .venv/bin/python Scripts/check-real-models.py --qconvert .build/release/qconvert --real "$real"
fi
.venv/bin/python Scripts/check-onnx-light.py --qconvert .build/debug/qconvert
