#!/usr/bin/env bash
# Issue 5 acceptance 3 and 4: wall time and peak RSS of `qconvert calibrate` (release build) on a
# real model with SMALL and LARGE samples (the calib set repeated through symlinks), optionally next
# to ONNX Runtime's quantize_static. Needs: swift, GNU /usr/bin/time, the real-model cache made by
# ../shared/real-models/setup.sh. Usage: Scripts/calibration-benchmark.sh MODEL [SMALL] [LARGE] [--ort]
set -euo pipefail

model=${1:?usage: $0 MODEL [SMALL=20] [LARGE=200] [--ort]}
small=${2:-20}
large=${3:-200}
root=${QCONVERT_REAL:-$HOME/.cache/qconvert-real}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product qconvert --package-path "$here" >/dev/null
qconvert=$here/.build/release/qconvert
calib=$root/data/$model/calib
files=("$calib"/*.npy)

# A folder of N samples: the calib files in order, repeated as often as needed.
make_set() {
    local n=$1 dir=$work/set$1 k=0
    mkdir -p "$dir"
    while [ "$k" -lt "$n" ]; do
        ln -s "${files[$((k % ${#files[@]}))]}" "$dir/$(printf %06d "$k").npy"
        k=$((k + 1))
    done
    echo "$dir"
}

# Prints "wall_s peak_mb" of one command.
measure() {
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    awk '{ printf "%s %.1f\n", $1, $2 / 1024 }' "$work/time"
}

echo "model $model, $(nproc) cores, qconvert $(git -C "$here" rev-parse --short HEAD)"
read -r small_s small_mb < <(measure "$qconvert" calibrate "$root/models/$model.onnx" --calib "$(make_set "$small")" --quiet -o "$work/s.json")
read -r large_s large_mb < <(measure "$qconvert" calibrate "$root/models/$model.onnx" --calib "$(make_set "$large")" --quiet -o "$work/l.json")
echo "qconvert calibrate, $small samples: ${small_s} s, peak ${small_mb} MB"
echo "qconvert calibrate, $large samples: ${large_s} s, peak ${large_mb} MB"
awk -v a="$small_mb" -v b="$large_mb" 'BEGIN { printf "peak RSS ratio %d/%d samples: %.3f (acceptance: within 10%%)\n", '"$large"', '"$small"', b / a }'

if [ "${4:-}" = "--ort" ]; then
    read -r q64_s q64_mb < <(measure "$qconvert" calibrate "$root/models/$model.onnx" --calib "$calib" --quiet -o "$work/q.json")
    echo "qconvert calibrate, ${#files[@]} samples: ${q64_s} s, peak ${q64_mb} MB"
    for method in MinMax Entropy; do
        read -r ort_s ort_mb < <(measure "$root/venv/bin/python" "$here/../shared/real-models/ort_baseline.py" "$model" "$work/ort.onnx" --method "$method")
        echo "ORT quantize_static $method, ${#files[@]} samples: ${ort_s} s, peak ${ort_mb} MB"
        awk -v q="$q64_s" -v o="$ort_s" -v qm="$q64_mb" -v om="$ort_mb" -v m="$method" \
            'BEGIN { printf "  qconvert / ORT %s: time %.3f, peak RSS %.3f\n", m, q / o, qm / om }'
    done
fi
