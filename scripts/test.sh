#!/usr/bin/env bash
# Runs BuyerGuard's tests on a fresh machine: installs what is missing (libsodium, SQLite,
# pkg-config, and Chromium for the audit report's browser test), builds, tests; then the example
# app's tests (Examples/ShopServer, its own package: a Hummingbird server driven over HTTP).
# Arguments go to the library's `swift test` (for example --filter X); with any, the example is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
bash scripts/bootstrap.sh --browser
swift build --build-tests
swift test --skip-build --parallel --num-workers 2 "$@"
if [ "$#" -eq 0 ]; then
  (cd Examples/ShopServer && swift build --build-tests && swift test --skip-build)
fi
