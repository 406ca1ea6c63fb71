#!/usr/bin/env bash
# Builds the libFuzzer target over the ONNX reader and writer (Sources/QConvertFuzz: COnnx's protobuf
# parse, the Swift decoder into the IR, Graph.validate, then a write/re-read round trip) with
# AddressSanitizer, and runs it seeded with every fixture model. Needs the Swift toolchain (its clang
# ships libFuzzer and ASan) and libprotobuf-dev.
# Usage: Scripts/fuzz.sh [SECONDS, default 600] [more libFuzzer flags...]; findings go to .build/fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift || true
scratch=.build/fuzz

# Release (-O keeps Swift's overflow and bounds traps) with coverage and ASan on every module built,
# in its own scratch path so the normal build is not invalidated. Not `swift build --sanitize`: it
# passes -sanitize=fuzzer and -sanitize=address as two flags, and swiftc (6.3) keeps only the last,
# which silently built the Swift modules without coverage. One combined flag keeps both.
swift build -c release --target QConvertFuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address

# SwiftPM builds library targets without linking them; link the dependency closure of QConvertFuzz
# with libFuzzer's main here. The modules are listed by hand: a missing one fails the link loudly.
objects=()
for module in COnnx CPendingFiles InternalCollectionsUtilities OrderedCollections QConvertIR QConvertONNX QConvertFuzz; do
    while IFS= read -r -d '' object; do objects+=("$object"); done \
        < <(find "$scratch/release/$module.build" -name '*.o' -print0)
done
binary="$scratch/fuzz-reader"
swiftc -sanitize=fuzzer,address -use-ld=lld "${objects[@]}" -lprotobuf-lite -lstdc++ -o "$binary"

# Seeds: every fixture and op-case model and the hostile files. The working corpus (what libFuzzer
# found interesting) persists across runs in $scratch/corpus.
seeds="$scratch/seeds"
rm -rf "$seeds"
mkdir -p "$seeds" "$scratch/corpus" "$scratch/crashes"
find Fixtures -name '*.onnx' -print0 | while IFS= read -r -d '' model; do
    cp "$model" "$seeds/$(echo "$model" | tr '/' '_')"
done

# A dictionary of protobuf pieces random mutation rarely assembles: TensorProto's data_type set to
# each element type (field 2; 22 is int4), data_location EXTERNAL (field 14), AttributeProto.type
# values (field 20), dims of extreme size (field 1) and packed varints near the integer limits.
dictionary="$scratch/onnx.dict"
{
    for t in $(seq 0 23); do printf 'data_type_%d="\\x10\\x%02x"\n' "$t" "$t"; done
    for t in $(seq 0 14); do printf 'attribute_type_%d="\\xa0\\x01\\x%02x"\n' "$t" "$t"; done
    echo 'external_location="\x70\x01"'
    echo 'dim_2_40="\x08\x80\x80\x80\x80\x80\x20"'
    echo 'dim_2_62="\x08\x80\x80\x80\x80\x80\x80\x80\x80\x40"'
    echo 'dim_int_max="\x08\xff\xff\xff\xff\xff\xff\xff\xff\x7f"'
    echo 'dim_minus_1="\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"'
    echo 'dim_zero="\x08\x00"'
    echo 'varint_2_31="\x80\x80\x80\x80\x08"'
    echo 'varint_2_32_minus_1="\xff\xff\xff\xff\x0f"'
} > "$dictionary"

# -timeout: any single input taking over 10 s is a finding (a hang); -rss_limit_mb: so is a
# process over 2 GB (an allocation sized from an unchecked field); leaks are checked (ASan's LSan).
exec "$binary" "$scratch/corpus" "$seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=1 \
    -dict="$dictionary" -print_final_stats=1 -artifact_prefix="$scratch/crashes/" "$@"
