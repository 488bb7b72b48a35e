#!/usr/bin/env bash
# Do two builds of kasi write the same reports? Runs each binary, on a store
# of its own, through the same night on the same data, and compares the
# outcomes and discrepancies reports byte for byte (SHA-256 of each printed).
# Used to prove that a restructuring changed no figure.
#
#   scripts/same_reports.sh OLD_KASI OLD_SCHEMAS NEW_KASI NEW_SCHEMAS [DATA_DIR...]
#
# With no DATA_DIR: the fixture world (fixtures/world) and the generated
# world of make bench (build/bench-data/world/data-1000000, made first with
# `make bench` or tests/bench/gen_world). Exit 0 when every pair is
# identical.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=$1 old_schemas=$2 new=$3 new_schemas=$4
shift 4
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$root/fixtures/world" "$root/build/bench-data/world/data-1000000")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

# night KASI SCHEMAS DATA OUT: init, load, ingest every channel file in date
# order, schedule and reconcile every period the files touch, then the
# reports of the first period.
night() {
	local kasi=$1 schemas=$2 data=$3 out=$4 f periods p
	local db=$out/kasi.db
	mkdir -p "$out"
	export KASI_DB=$db KASI_SCHEMAS=$schemas KASI_NOW=2026-11-30T00:00:00Z
	"$kasi" init >/dev/null
	"$kasi" load products "$data/products.csv" >/dev/null
	"$kasi" load policies "$data/policies.csv" >/dev/null
	"$kasi" load ledger "$data/ledger.csv" >/dev/null
	for f in $(for f in "$data"/*_[0-9]*.csv*; do
		echo "$(basename "$f" | grep -oE '[0-9]{8}') $(basename "$f") $f"
	done | sort | awk '{print $3}'); do
		"$kasi" ingest "$f" >/dev/null 2>&1 || [ $? -le 65 ]
	done
	periods=$(for f in "$data"/*_[0-9]*.csv*; do basename "$f" | grep -oE '[0-9]{8}' | cut -c1-6; done | sort -u | sed -E 's/(....)(..)/\1-\2/')
	for p in $periods; do
		"$kasi" schedule --period "$p" >/dev/null
		"$kasi" reconcile --period "$p" >/dev/null || [ $? -eq 1 ]
		"$kasi" report outcomes --period "$p" --out "$out/outcomes_$p.csv" >/dev/null
		"$kasi" report discrepancies --period "$p" --out "$out/discrepancies_$p.csv" >/dev/null 2>&1
	done
}

status=0
for data in "${dirs[@]}"; do
	[ -d "$data" ] || { echo "same_reports: no data in $data"; status=1; continue; }
	name=$(basename "$data")
	night "$old" "$old_schemas" "$data" "$work/old-$name"
	night "$new" "$new_schemas" "$data" "$work/new-$name"
	for r in "$work/old-$name"/*.csv; do
		b=$(basename "$r")
		a=$(sha256sum <"$r" | cut -c1-64)
		n=$(sha256sum <"$work/new-$name/$b" 2>/dev/null | cut -c1-64 || echo missing)
		if [ "$a" = "$n" ]; then
			echo "same  $name/$b  sha256 $a"
		else
			echo "DIFF  $name/$b  old $a  new $n"
			diff "$r" "$work/new-$name/$b" | head -10 || true
			status=1
		fi
	done
done
exit $status
