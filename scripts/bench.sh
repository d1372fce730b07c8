#!/usr/bin/env bash
# Runs the benchmarks (package-benchmark) in their own build folder, with the release CLI beside
# them for the end-to-end import benchmark. Extra arguments go to `swift package benchmark`,
# e.g. scripts/bench.sh --target FieldCipherBenchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
bash scripts/bootstrap.sh
export BUYERGUARD_BENCHMARKS=1
swift build -c release --scratch-path .build-bench --product buyerguard
export BUYERGUARD_CLI="$(swift build -c release --scratch-path .build-bench --show-bin-path)/buyerguard"
swift package --scratch-path .build-bench benchmark "$@"
