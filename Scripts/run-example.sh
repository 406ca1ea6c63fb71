#!/usr/bin/env bash
# The main job on a fixture model: installs what is missing, builds qconvert in release mode and quantizes
# Fixtures/models/conv_bn_relu with its calibration folder (writes /tmp/conv_bn_relu.int8.onnx).
# Needs: Debian 12 with Swift 6. Usage: Scripts/run-example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup-machine.sh --no-python
swift build -c release --product qconvert
.build/release/qconvert Fixtures/models/conv_bn_relu/model.onnx --calib Fixtures/models/conv_bn_relu/calib \
  -o /tmp/conv_bn_relu.int8.onnx
