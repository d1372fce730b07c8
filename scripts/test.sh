#!/usr/bin/env bash
# Runs BuyerGuard's tests on a fresh machine: installs what is missing (libsodium, SQLite,
# pkg-config, and Chromium for the audit report's browser test), builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
bash scripts/bootstrap.sh --browser
swift build --build-tests
swift test --skip-build --parallel --num-workers 2 "$@"
