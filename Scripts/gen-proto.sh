#!/usr/bin/env bash
# Regenerates Sources/COnnx/onnx-trimmed.pb.{h,cc} from onnx-trimmed.proto with the system protoc.
# Needs: protobuf-compiler 3.21 (Debian 12). `--check` exits non-zero when the committed files are stale.
set -euo pipefail
cd "$(dirname "$0")/../Sources/COnnx"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc --cpp_out="$tmp" onnx-trimmed.proto
# SwiftPM compiles every .cc under the target; the header goes where the shim includes it from.
if [ "${1:-}" = "--check" ]; then
  cmp -s "$tmp/onnx-trimmed.pb.h" onnx-trimmed.pb.h && cmp -s "$tmp/onnx-trimmed.pb.cc" onnx-trimmed.pb.cc || {
    echo "error: Sources/COnnx/onnx-trimmed.pb.{h,cc} are stale; run Scripts/gen-proto.sh and commit" >&2
    exit 1
  }
  echo "generated protobuf code is current"
else
  cp "$tmp/onnx-trimmed.pb.h" "$tmp/onnx-trimmed.pb.cc" .
  echo "wrote Sources/COnnx/onnx-trimmed.pb.{h,cc} ($(protoc --version))"
fi
