#!/usr/bin/env bash
# The test command: from a fresh Debian 12 machine with Swift to a passing test suite. Installs what is
# missing, checks the generated protobuf code is current, builds, runs `swift test` (golden metrics
# included), then the ONNX Runtime checks on fixtures and the four real models (fetched into
# $QCONVERT_REAL, default ~/.cache/qconvert-real, by $QCONVERT_SHARED/real-models/setup.sh on the first
# run): reader/writer round trip, prepare, interpreter outputs, the quantization cross-check against
# committed floors, every mode and format loading in ORT, and the layerwise report (its output SQNR against ORT's; compare on ORT's models;
# the HTML report as headless Chromium renders it).
# Needs: Debian 12, Swift 6, network for apt/PyPI on first run. Usage: Scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup-machine.sh
Scripts/gen-proto.sh --check
swift build --build-tests
swift test
swift build -c release
real=${QCONVERT_REAL:-$HOME/.cache/qconvert-real}
shared=${QCONVERT_SHARED:-../shared}
if [ ! -d "$real/models" ] && [ -x "$shared/real-models/setup.sh" ]; then
  echo "fetching real models into $real (first run only)" >&2
  "$shared/real-models/setup.sh" "$real"
fi
real_args=()
[ -d "$real/models" ] && real_args=(--real "$real")
.venv/bin/python Scripts/roundtrip-check.py --qconvert .build/debug/qconvert "${real_args[@]}"
.venv/bin/python Scripts/check-prepare.py --qconvert .build/debug/qconvert "${real_args[@]}" --backend
.venv/bin/python Scripts/check-onnx-light.py --qconvert .build/debug/qconvert
# The real-model checks below fail, saying what is missing, when the models could not be fetched.
.venv/bin/python Scripts/check-real-models.py --qconvert .build/release/qconvert --real "$real"
# The real models' default outputs and reports, quantized once by the cross-check, serve the two after it.
rm -rf .build/crosscheck
.venv/bin/python Scripts/crosscheck.py --qconvert .build/release/qconvert --real "$real" --shared "$shared" --keep .build/crosscheck
.venv/bin/python Scripts/check-modes.py --qconvert .build/release/qconvert --real "$real" --static-from .build/crosscheck
.venv/bin/python Scripts/check-report-sqnr.py --qconvert .build/release/qconvert --root "$real" \
  --evaluate "$shared/real-models/evaluate.py" --from .build/crosscheck
mkdir -p .build/report-check
for model in ppocrv4_rec yolov8n_320; do
  .venv/bin/python "$shared/real-models/ort_baseline.py" "$model" ".build/report-check/$model.ort.onnx" --root "$real" >/dev/null
  .venv/bin/python Scripts/check-compare.py --qconvert .build/release/qconvert "$real/models/$model.onnx" \
    ".build/report-check/$model.ort.onnx" --data "$real/data/$model/eval"
done
.venv/bin/python Scripts/check-html-report.py --qconvert .build/release/qconvert "$real/models/ppocr_cls.onnx" \
  --calib "$real/data/ppocr_cls/calib" --out .build/report-check/html
