#!/usr/bin/env bash
# The five-minute tour on the embedded default: a vault in ./demo/, a sample order report
# imported, canaries planted, an order shipped, a label printed through the broker, a marketing
# request denied, a marketing export planted, the audit log verified, a scan that finds the
# export, the auditor's HTML report (demo/report.html) and the data-protection evidence
# (demo/evidence/). Safe to run again: it starts from a fresh demo folder.
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

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

step buyerguard init
"$bin" init

step buyerguard import docs/samples/orders-2026-11.txt
"$bin" import docs/samples/orders-2026-11.txt

step "buyerguard import docs/samples/orders-2026-11.txt   # again: idempotent"
"$bin" import docs/samples/orders-2026-11.txt

step buyerguard status
"$bin" status

step "buyerguard import demo/damaged.txt   # one row with a bad date: its order is left out, exit code 2"
sed '5s/2026-11-0\([0-9]\)T/0\1\/11\/2026 /' docs/samples/orders-2026-11.txt > "$demo/damaged.txt"
"$bin" import "$demo/damaged.txt" || echo "(exit code $?)"

step "BUYERGUARD_MASTER_KEY=<another key> buyerguard status   # a wrong key is named as such, nothing changes"
BUYERGUARD_MASTER_KEY=$(printf '%064d' 0) "$bin" status || echo "(exit code $?)"

step "buyerguard canary add --count 2 --out $demo/canaries.txt   # decoy orders; the list stays with the auditor"
"$bin" canary add --count 2 --out "$demo/canaries.txt"

order=$(sed -n 2p docs/samples/orders-2026-11.txt | cut -f1)

step "buyerguard orders ship --order $order --carrier BRT --tracking 0512345678"
"$bin" orders ship --order "$order" --carrier BRT --tracking 0512345678

step "buyerguard access --purpose shipping --order $order --actor label-printer   # through the broker"
"$bin" access --purpose shipping --order "$order" --actor label-printer

step "buyerguard access --purpose marketing --order $order --actor newsletter-tool   # denied, and logged"
"$bin" access --purpose marketing --order "$order" --actor newsletter-tool || echo "(exit code $?)"

step "for each order in the vault: buyerguard access --purpose order-messaging --kind order-completion --fields buyer-email --actor shop-assistant   # a planted marketing export"
# Someone lists the vault's orders (a canary among them) and copies every buyer's email for a
# newsletter, under a permitted purpose. Each read is allowed; together they are an export.
exported=0
for id in $(tail -n +2 docs/samples/orders-2026-11.txt | cut -f1 | sort -u) $(head -1 "$demo/canaries.txt"); do
  "$bin" access --purpose order-messaging --kind order-completion --fields buyer-email --order "$id" --actor shop-assistant > /dev/null
  exported=$((exported + 1))
done
echo "$exported buyer emails copied"

step "buyerguard audit log --actor newsletter-tool"
"$bin" audit log --actor newsletter-tool

step "grep for a buyer's email, name and street in every vault file (expect nothing)"
if grep -l -a -e "marketplace.amazon.it" -e "Romano" -e "Via dei Mille" -e "Viale Monza" "$demo"/vault/* ; then
  echo "plaintext found in the vault files above" >&2
  exit 1
fi
echo "no plaintext PII in $(ls "$demo"/vault | tr '\n' ' ')"

step "buyerguard audit checkpoint --out $demo/checkpoint.json && buyerguard audit verify --checkpoint $demo/checkpoint.json"
"$bin" audit checkpoint --out "$demo/checkpoint.json"
"$bin" audit verify --checkpoint "$demo/checkpoint.json"

step "buyerguard audit scan --canaries $demo/canaries.txt --min-severity medium   # finds the export and the marketing attempt"
"$bin" audit scan --canaries "$demo/canaries.txt" --min-severity medium || echo "(exit code $?)"

step "buyerguard audit report --canaries $demo/canaries.txt --checkpoint $demo/checkpoint.json --out $demo/report.html   # open it in a browser, or print it"
"$bin" audit report --canaries "$demo/canaries.txt" --checkpoint "$demo/checkpoint.json" --out "$demo/report.html"

step "buyerguard compliance evidence --checkpoint $demo/checkpoint.json --out $demo/evidence   # for the marketplace's data-protection review"
"$bin" compliance evidence --canaries "$demo/canaries.txt" --checkpoint "$demo/checkpoint.json" --out "$demo/evidence"
sed -n '/^| item/,/^$/p' "$demo/evidence/evidence.md"

step "grep for a buyer's email, name and street in the report and the evidence (expect nothing)"
if grep -l -a -e "marketplace.amazon.it" -e "Romano" -e "Via dei Mille" -e "Viale Monza" "$demo/report.html" "$demo"/evidence/* ; then
  echo "plaintext found in the files above" >&2
  exit 1
fi
echo "no plaintext PII in $demo/report.html or $demo/evidence/"
