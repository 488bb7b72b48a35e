#!/usr/bin/env bash
# Regression inputs for the fuzz targets (tests/fuzz/fuzz_*.c): every
# input a fuzzer ever crashed on (fixtures/fuzz/TARGET/), and every
# fixture read through each target:
#
#   validate  against every shipped schema, with and without a key-set
#             budget small enough to spill
#   load      as each kind of reference data, into an empty store, one
#             with the world's products, and one with its registers
#   ingest    as each channel's file, into a store with the world's
#             registers, and one with its channel files ingested too
#
# Each target aborts on a crash or a broken invariant (a report's counts,
# a load or ingest that fails as a whole, a rejected file that changed
# the store); under `make asan` that includes any memory error or leak.
. "$(dirname "$0")/lib.sh"
: "${FUZZ_REPLAY_DIR:?FUZZ_REPLAY_DIR must name the folder of the replay binaries (make test sets it)}"

nschemas=$(ls "$KASI_ROOT"/schemas/*.schema | wc -l)
nchannels=$(grep -l '^channel ' "$KASI_ROOT"/schemas/*.schema | wc -l)
files=()
for f in "$fixtures"/world/*.csv* "$fixtures"/valid/*/* "$fixtures"/invalid/*/*; do
	[ -f "$f" ] || continue
	case $(basename "$f") in expect | *.schema) continue ;; esac
	files+=("$f")
done

# replay TARGET SELECTORS OPTIONS...: the saved inputs of TARGET, and
# every fixture under each selector and option.
replay() {
	local target=$1 nsel=$2 s opt f total
	shift 2
	local args=()
	for f in "$fixtures"/fuzz/"$target"/*; do
		[ -f "$f" ] && args+=("$f")
	done
	total=$((${#args[@]} + nsel * $# * ${#files[@]}))
	for ((s = 0; s < nsel; s++)); do
		for opt in "$@"; do
			args+=(--prefix "$s" "$opt" "${files[@]}")
		done
	done
	out=$(KASI_SCHEMAS="$KASI_ROOT/schemas" "$FUZZ_REPLAY_DIR/fuzz_replay_$target" "${args[@]}" 2>&1)
	status=$?
	local replayed
	replayed=$(grep -c '^ok ' <<<"$out")
	check "$target: all $total inputs replay without a crash ($replayed did)" \
		test "$status" -eq 0 -a "$replayed" -eq "$total"
	[ "$status" -eq 0 ] || grep -v '^ok ' <<<"$out" | tail -30 | diag
}

replay validate "$nschemas" 1 8
replay load 3 0 1 2
replay ingest "$nchannels" 0 1

echo "1..$tap_n"
