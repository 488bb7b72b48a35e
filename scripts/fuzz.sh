#!/usr/bin/env bash
# make fuzz: libFuzzer on the CSV reader + schema validation for a bounded
# time (default 60 s), seeded with the fixtures. Crashing inputs are
# written to fixtures/fuzz/ (commit them: `make test` replays that folder).
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
out=build/fuzz
mkdir -p "$out/corpus" fixtures/fuzz
command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/deps.sh)"; exit 1; }

flags="-std=c17 -g -O1 -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# Every module but the commands is built in, so every library the Makefile
# links is linked here too.
pkgs=$(sed -n 's/^PKGS = //p' Makefile)
# shellcheck disable=SC2046
clang $flags $(pkg-config --cflags $pkgs) -o "$out/fuzz_validate" \
	tests/fuzz/fuzz_validate.c $(ls src/*/*.c | grep -v '^src/cmd/') \
	$(pkg-config --libs $pkgs) -lcsv -pthread

# Seeds: every fixture, behind the byte that selects its schema.
names=($(ls schemas/*.schema | xargs -n1 basename | sed 's/\.schema$//'))
n=${#names[@]}
seed() { # seed FILE SCHEMA
	local i
	for i in "${!names[@]}"; do
		if [ "${names[$i]}" = "$2" ]; then
			{ printf "\\$(printf '%03o' "$i")\\001"; cat "$1"; } > "$out/corpus/$(basename "$(dirname "$1")")-$(basename "$1")"
		fi
	done
}
for f in fixtures/world/*.csv fixtures/valid/*/* fixtures/invalid/*/*; do
	[ -f "$f" ] || continue
	case $(basename "$f") in
	expect|*.schema) continue ;;
	easypay_recon_*) seed "$f" easypay_recon ;;
	softycomp_*) seed "$f" softycomp_transactions ;;
	collexia_*) seed "$f" collexia_results ;;
	products*) seed "$f" products ;;
	policies*) seed "$f" policies ;;
	ledger*) seed "$f" ledger ;;
	esac
done
echo "fuzz: $(ls "$out/corpus" | wc -l) seeds, $n schemas, ${seconds}s"
KASI_SCHEMAS=$root/schemas "$out/fuzz_validate" "$out/corpus" \
	-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
	-artifact_prefix=fixtures/fuzz/ -print_final_stats=1 2>&1 | tail -25
