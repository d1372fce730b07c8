#!/usr/bin/env bash
# Installs what BuyerGuard needs from Debian's packages, only when it is missing.
# Called by scripts/demo.sh and scripts/test.sh; safe to run again.
#   --browser   also Chromium, which the tests open the audit report in (scripts/test.sh)
set -euo pipefail
browser=false
[ "${1:-}" = "--browser" ] && browser=true

if [ "$(uname -s)" = "Darwin" ]; then
  # macOS: SQLite ships with the system; libsodium comes from Homebrew, the browser from its cask.
  if ! pkg-config --exists libsodium 2>/dev/null; then
    command -v brew >/dev/null 2>&1 || { echo "bootstrap: install Homebrew, then: brew install libsodium pkg-config" >&2; exit 1; }
    brew install libsodium pkg-config >&2
  fi
  if $browser && [ ! -x "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" ] && ! command -v chromium >/dev/null 2>&1; then
    command -v brew >/dev/null 2>&1 || { echo "bootstrap: install Google Chrome or Chromium for the report tests" >&2; exit 1; }
    brew install --cask chromium >&2
  fi
  exit 0
fi

packages=(libsodium-dev libsqlite3-dev pkg-config)
$browser && packages+=(chromium)
need=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$pkg")
  fi
done

if [ "${#need[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "bootstrap: installing ${need[*]}" >&2
  log=$(mktemp)
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap: could not install ${need[*]}" >&2
    exit 1
  fi
  rm -f "$log"
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: no Swift toolchain on PATH (Swift 6.1 or newer is needed: https://www.swift.org/install/)" >&2
  exit 1
fi
