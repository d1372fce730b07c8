#!/usr/bin/env bash
# The five-minute tour on the embedded default: a vault in ./demo/, a sample order report,
# and what BuyerGuard shows about it. Safe to run again: it starts from a fresh demo folder.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
bash scripts/bootstrap.sh
swift build --product buyerguard >&2
bin="$(swift build --show-bin-path)/buyerguard"

demo="demo"
rm -rf "$demo"
mkdir -p "$demo"
export BUYERGUARD_VAULT="$demo/vault"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step buyerguard init
"$bin" init

step buyerguard import docs/samples/orders-2026-11.txt
"$bin" import docs/samples/orders-2026-11.txt

step "buyerguard import docs/samples/orders-2026-11.txt   # again: idempotent"
"$bin" import docs/samples/orders-2026-11.txt

step buyerguard status
"$bin" status

step "grep for a buyer's email, name and street in every vault file (expect nothing)"
if grep -l -a -e "marketplace.amazon.it" -e "Romano" -e "Via dei Mille" "$demo"/vault/* ; then
  echo "plaintext found in the vault files above" >&2
  exit 1
fi
echo "no plaintext PII in $(ls "$demo"/vault | tr '\n' ' ')"
