#!/usr/bin/env bash
# make fuzz: libFuzzer on kasi's ways in, each for a bounded time (default
# 60 s), seeded with the fixtures:
#
#   validate  the CSV reader + schema validation, every shipped schema
#   load      `kasi load` of products, policies, ledger into a real store
#   ingest    `kasi ingest` of a channel's file into a store holding the
#             fixture world's registers
#
# An input is one byte choosing what to run, one byte of options, then
# the file (tests/fuzz/fuzz_*.c say which). Inputs that crash a target are
# written to fixtures/fuzz/TARGET/: fix the bug and commit them, `make
# test` replays that folder (tests/e2e/t1900-fuzz-replay.sh).
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]
#
# Compiler and linker flags: $PKG_CFLAGS and $PKG_LIBS as the Makefile
# passes them (the set kasi itself links), else the same from pkg-config.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(validate load ingest)
out=build/fuzz
command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/deps.sh)"; exit 1; }

# The libraries the Makefile links (every module but the commands is built in).
pkgs=$(sed -n 's/^PKGS = //p' Makefile)
cflags=${PKG_CFLAGS-$(pkg-config --cflags $pkgs)}
libs=${PKG_LIBS-"$(pkg-config --libs $pkgs) -lcsv -pthread"}
san="address,undefined -fno-sanitize-recover=undefined"
flags="-std=c17 -g -O1 -Isrc"

# kasi once, instrumented, for every target: everything but main() and the
# commands, which parse argv.
mkdir -p "$out/obj"
objs=()
header=$(ls -t src/*/*.h | head -1) # the newest: any header may change any object
for src in $(ls src/*/*.c | grep -v '^src/cmd/'); do
	obj=$out/obj/$(echo "${src#src/}" | tr / _ | sed 's/\.c$/.o/')
	if [ ! "$obj" -nt "$src" ] || [ ! "$obj" -nt "$header" ]; then
		# shellcheck disable=SC2086
		clang $flags $cflags -fsanitize=fuzzer-no-link,$san -c -o "$obj" "$src"
	fi
	objs+=("$obj")
done

names=($(ls schemas/*.schema | xargs -n1 basename | sed 's/\.schema$//'))
channels=($(grep -l '^channel ' schemas/*.schema | xargs -n1 basename | sed 's/\.schema$//'))

# index NAME LIST...: NAME's position in LIST (as the targets count).
index() {
	local want=$1 i=0
	shift
	for n in "$@"; do
		[ "$n" = "$want" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
}

# The schema a fixture is for, by its name.
schema_of() {
	case $(basename "$1") in
	easypay_recon_*) echo easypay_recon ;;
	softycomp_*) echo softycomp_transactions ;;
	collexia_*) echo collexia_results ;;
	products*) echo products ;;
	policies*) echo policies ;;
	ledger*) echo ledger ;;
	esac
}

# seed TARGET FILE SELECT OPTIONS
seed() {
	local dir=$out/corpus-$1
	mkdir -p "$dir"
	{ printf "\\$(printf '%03o' "$3")\\$(printf '%03o' "$4")"; cat "$2"; } \
		> "$dir/$(basename "$(dirname "$2")")-$(basename "$2")-$3-$4"
}

for target in "${targets[@]}"; do
	[ -f "tests/fuzz/fuzz_$target.c" ] || { echo "fuzz: no target '$target'"; exit 1; }
	mkdir -p "$out" "fixtures/fuzz/$target"
	# shellcheck disable=SC2086
	clang $flags $cflags -fsanitize=fuzzer,$san -o "$out/fuzz_$target" \
		"tests/fuzz/fuzz_$target.c" tests/fuzz/fuzz.c "${objs[@]}" $libs
	for f in fixtures/world/*.csv fixtures/valid/*/* fixtures/invalid/*/*; do
		[ -f "$f" ] || continue
		case $(basename "$f") in expect | *.schema) continue ;; esac
		s=$(schema_of "$f")
		[ -n "$s" ] || continue
		case $target in
		validate) seed validate "$f" "$(index "$s" "${names[@]}")" 1 ;;
		load)
			k=$(index "$s" products policies ledger)
			[ -n "$k" ] && seed load "$f" "$k" 2 && seed load "$f" "$k" 1
			;;
		ingest)
			c=$(index "$s" "${channels[@]}")
			[ -n "$c" ] && seed ingest "$f" "$c" 0 && seed ingest "$f" "$c" 1
			;;
		esac
	done
	echo "fuzz: $target: $(ls "$out/corpus-$target" | wc -l) seeds, ${seconds}s"
	# The targets' stores: in the build tree, where a crash leaves them.
	mkdir -p "$out/tmp"
	TMPDIR=$root/$out/tmp KASI_ROOT=$root KASI_SCHEMAS=$root/schemas \
		"$out/fuzz_$target" "$out/corpus-$target" \
		-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="fixtures/fuzz/$target/" -print_final_stats=1 2>&1 | tail -25
done
