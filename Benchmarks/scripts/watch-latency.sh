#!/usr/bin/env bash
# How long after a canary read is written `buyerguard audit watch` raises its alert: 20 canary
# reads, each by another CLI process, one a second, while the watch polls every 200 ms (its
# default). The latency is the watch's own "N ms after its last entry was written" (the entry's
# time is taken before its commit, so the commit's fsync is inside it).
# Usage: Benchmarks/scripts/watch-latency.sh   (builds the release CLI)
set -eu
cd "$(dirname "$0")/../.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product buyerguard --scratch-path .build-release >&2
B=${B:-$(swift build -c release --scratch-path .build-release --show-bin-path)/buyerguard}
D=$(mktemp -d /tmp/buyerguard-watch-latency.XXXXXX)
trap 'kill $watch 2>/dev/null || true; rm -rf "$D"' EXIT
V=$D/vault
$B init --vault $V > /dev/null
$B import --vault $V --quiet docs/samples/orders-2026-11.txt > /dev/null
$B canary add --vault $V --count 20 --out $D/canaries.txt > /dev/null
$B audit watch --vault $V --canaries $D/canaries.txt > $D/alerts.jsonl 2> $D/watch.err &
watch=$!
until grep -q '^watching ' $D/watch.err; do sleep 0.1; done
n=0
while read -r canary; do
  $B access --vault $V --purpose shipping --order "$canary" --actor "sweeper-$n" > /dev/null 2>&1 || true
  n=$((n + 1)); sleep 1
done < $D/canaries.txt
sleep 1
kill $watch; wait $watch || true
grep -o 'alert: critical canary .*, [0-9-]* ms after' $D/watch.err | grep -o '[0-9-]* ms after' | cut -d' ' -f1 | sort -n \
  | awk '{a[NR]=$1} END {printf "canary alerts: %d of 20, latency ms: min %d, median %d, max %d\n", NR, a[1], a[int((NR+1)/2)], a[NR]}'
