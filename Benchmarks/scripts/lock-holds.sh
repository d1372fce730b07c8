#!/usr/bin/env bash
# Longest write-lock hold of each long job on a 500k-order vault, and the longest wait of another
# writer (a `buyerguard orders ship` process, started again and again) while the job runs.
# Usage: Benchmarks/scripts/lock-holds.sh   (builds the release CLI; needs python3 for the report)
set -u
cd "$(dirname "$0")/../.."
[ -d /opt/swift/usr/bin ] && PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product buyerguard --scratch-path .build-release >&2
B=${B:-$(swift build -c release --scratch-path .build-release --show-bin-path)/buyerguard}
D=${D:-/tmp/buyerguard-lock-holds}
mkdir -p $D
V=$D/vault
# 500,000 orders (600,000 rows), one buyer with 5,000 of them (the erasure's).
[ -f $D/orders-500k.txt ] || python3 - "$D/orders-500k.txt" <<'PY'
import random, sys
random.seed(7)
names = ["Giulia Bianchi", "Marco Rossi", "Anna Verdi", "Luca Romano", "Sara Colombo", "Paolo Ricci", "Elena Marino", "Davide Greco"]
cities = [("Milano", "20121", "MI"), ("Roma", "00184", "RM"), ("Torino", "10121", "TO"), ("Napoli", "80133", "NA"), ("Bologna", "40121", "BO")]
with open(sys.argv[1], "w") as f:
    f.write("order-id\torder-item-id\tpurchase-date\tbuyer-email\tbuyer-name\tsku\tquantity-purchased\trecipient-name\tship-address-1\tship-city\tship-state\tship-postal-code\tship-country\tship-phone-number\n")
    for n in range(500_000):
        oid = "40%d-%07d-%07d" % (2 + n % 7, (n * 7919) % 10_000_000, n)
        b = "bigbuyer" if n < 5000 else "b%d" % random.randrange(300_000)
        name = names[n % 8]; c = cities[n % 5]
        for i in range(2 if n % 5 == 0 else 1):
            f.write(f"{oid}\t{n:08d}{i:06d}\t2026-11-{1 + n % 28:02d}T10:{n % 60:02d}:00Z\t{b}@marketplace.amazon.it\t{name}\tSKU-{i}\t1\t{name}\tVia Roma {n % 200}\t{c[0]}\t{c[2]}\t{c[1]}\tIT\t+39 333 {n % 10000000:07d}\n")
PY
rm -rf $V $V.key
$B init --vault $V > /dev/null
head -51 $D/orders-500k.txt | sed 's/^40\([0-9]\)-/49\1-/' > $D/seed.txt   # 50 orders of their own
$B import --vault $V --quiet $D/seed.txt > /dev/null
seed=$(sed -n 2p $D/seed.txt | cut -f1)

writer() {  # prints the longest and median wall time of `orders ship` while $1 runs
  local pid=$1 n=0; : > $D/writer.times
  while kill -0 $pid 2>/dev/null; do
    s=$(date +%s%N); $B orders ship --vault $V --order $seed --carrier BRT --tracking T$n > /dev/null 2>>$D/writer.err || echo "writer failed: exit $?" >> $D/writer.err
    e=$(date +%s%N); echo $(( (e - s) / 1000000 )) >> $D/writer.times; n=$((n+1))
  done
  sort -n $D/writer.times | awk '{a[NR]=$1} END {printf "other writer: %d writes, median %d ms, longest %d ms\n", NR, a[int((NR+1)/2)], a[NR]}'
}

job() {  # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o $D/rss "$@" --log-level debug 2> $D/$name.log > /dev/null &
  local pid=$!
  sleep 0.3; writer $pid > $D/$name.writer; wait $pid; local rc=$?
  echo "$name: exit $rc, $(tail -1 $D/rss | cut -d' ' -f1) s, peak RSS $(( $(tail -1 $D/rss | cut -d' ' -f2) / 1024 )) MB, longest lock hold $(grep -o 'longest-lock-hold-ms=[0-9]*' $D/$name.log | cut -d= -f2 | sort -n | tail -1) ms; $(cat $D/$name.writer)"
}

job import $B import --vault $V --quiet $D/orders-500k.txt
job rotate $B keys rotate --vault $V --quiet
job erase $B erase --vault $V --buyer-email bigbuyer@marketplace.amazon.it
python3 -c "import sqlite3; c=sqlite3.connect('$V/vault.sqlite'); c.execute('UPDATE orders SET delivered_at = 1 WHERE pii_removed_at IS NULL'); c.commit()"
job purge $B purge --vault $V
$B audit verify --vault $V | tail -1
cat $D/writer.err 2>/dev/null | sort | uniq -c | head -5
