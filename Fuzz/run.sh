#!/usr/bin/env bash
# Fuzzes one of qscope's parsers with libFuzzer and AddressSanitizer.
#
#   Fuzz/run.sh PARSER SECONDS      PARSER: safetensors | npy | npz | gguf | pickle | theme
#
# Builds Fuzz/harnesses/PARSER.swift together with the parser's sources into
# .build-fuzz/fuzz-PARSER, then fuzzes for SECONDS starting from the seed corpus in
# Fuzz/corpus/PARSER (Fuzz/corpus/pytorch for pickle; new inputs go to .build-fuzz/corpus-PARSER). A crashing input is
# written to .build-fuzz/crash-*; keep it under Tests/Fixtures/fuzz-regressions/PARSER/
# once fixed, where the test suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
parser=${1:?usage: Fuzz/run.sh PARSER SECONDS}
seconds=${2:-60}
out=.build-fuzz
mkdir -p "$out"
[ -d .build/checkouts/ZIPFoundation ] || swift package resolve >/dev/null
Z=.build/checkouts/ZIPFoundation/Sources
T=.build/checkouts/TOMLKit/Sources
san=(-sanitize=fuzzer,address -O -parse-as-library -package-name qscope)

case "$parser" in
  safetensors|npy|npz|gguf|pickle)
    if [ ! -f "$out/libZIPFoundation.a" ]; then
      swiftc "${san[@]}" -emit-library -static -emit-module -module-name ZIPFoundation -Xcc -D_GNU_SOURCE=1 \
        -I "$Z/CZLib" "$Z"/ZIPFoundation/*.swift -emit-module-path "$out/ZIPFoundation.swiftmodule" -o "$out/libZIPFoundation.a"
    fi
    # TensorIO imports TensorCore (rebuilt each run: it is small and changes with the tree).
    swiftc "${san[@]}" -emit-library -static -emit-module -module-name TensorCore \
      $(find Sources/TensorCore -name '*.swift') -emit-module-path "$out/TensorCore.swiftmodule" -o "$out/libTensorCore.a"
    swiftc "${san[@]}" -module-name TensorIO -I "$out" -I "$Z/CZLib" -L "$out" -lZIPFoundation -lTensorCore -lz \
      $(find Sources/TensorIO -name '*.swift') "Fuzz/harnesses/$parser.swift" -o "$out/fuzz-$parser"
    ;;
  theme)
    if [ ! -f "$out/libCTOML.a" ]; then
      for f in "$T"/CTOML/Sources/*.cpp; do
        clang++ -std=c++17 -O1 -fsanitize=fuzzer-no-link,address -DTOML_EXCEPTIONS=1 -I "$T/CTOML/include" \
          -c "$f" -o "$out/$(basename "$f" .cpp | tr -c 'A-Za-z0-9\n' _).o"
      done
      ar rcs "$out/libCTOML.a" "$out"/*.o
      swiftc "${san[@]}" -emit-library -static -emit-module -module-name TOMLKit -I "$T/CTOML/include" \
        "$T"/TOMLKit/*.swift "$T"/TOMLKit/*/*.swift "$T"/TOMLKit/*/*/*.swift \
        -emit-module-path "$out/TOMLKit.swiftmodule" -o "$out/libTOMLKit.a"
    fi
    swiftc "${san[@]}" -module-name TUI -I "$out" -I "$T/CTOML/include" -L "$out" -lTOMLKit -lCTOML -lstdc++ \
      Sources/TUI/Theme.swift Sources/TUI/Style.swift Fuzz/harnesses/theme.swift -o "$out/fuzz-theme"
    ;;
  *) echo "unknown parser '$parser' (safetensors, npy, npz, gguf, pickle, theme)" >&2; exit 2 ;;
esac
corpus=$parser
[ "$parser" = pickle ] && corpus=pytorch

mkdir -p "$out/corpus-$parser"
export SWIFT_BACKTRACE=enable=no
# Leak reports are off where the leaks are in dependencies, not in qscope: TOMLKit's C bridge leaks its
# key arrays (one per table walk), and Foundation's fileSystemRepresentation, which ZIPFoundation calls
# when it opens an archive, leaks its buffer. Both are a few bytes per file opened.
case "$parser" in theme|npz) export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;; esac
"$out/fuzz-$parser" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/crash-$parser-" \
  -print_final_stats=1 "$out/corpus-$parser" "Fuzz/corpus/$corpus"
