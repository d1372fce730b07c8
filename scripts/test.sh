#!/usr/bin/env bash
# Runs BuyerGuard's tests on a fresh machine: installs what is missing, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
bash scripts/bootstrap.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2 "$@"
