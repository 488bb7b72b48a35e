#!/usr/bin/env bash
# Regression inputs for the parsers: every input the fuzzer ever crashed on
# (fixtures/fuzz/), and every fixture read against every shipped schema,
# with and without a key-set budget small enough to spill. Each goes
# through the fuzz target, which aborts on a crash or when a report breaks
# its invariants (counts adding up, errors in row order); under
# `make asan` that includes any memory error or leak.
. "$(dirname "$0")/lib.sh"
: "${FUZZ_REPLAY:?FUZZ_REPLAY must name the replay binary (make test sets it)}"

inputs=()
for f in "$fixtures"/fuzz/*; do
	case $f in *.md) continue ;; esac
	[ -f "$f" ] && inputs+=("$f")
done

nschemas=$(ls "$KASI_ROOT"/schemas/*.schema | wc -l)
mkdir -p "$tmp/in"
n=0
for f in "$fixtures"/world/*.csv "$fixtures"/valid/*/* "$fixtures"/invalid/*/*; do
	[ -f "$f" ] || continue
	case $(basename "$f") in expect | *.schema) continue ;; esac
	for ((s = 0; s < nschemas; s++)); do
		for opt in 1 8; do
			n=$((n + 1))
			{ printf "\\$(printf '%03o' "$s")\\$(printf '%03o' "$opt")"; cat "$f"; } > "$tmp/in/$n"
			inputs+=("$tmp/in/$n")
		done
	done
done

out=$(KASI_SCHEMAS="$KASI_ROOT/schemas" "$FUZZ_REPLAY" "${inputs[@]}" 2>&1)
status=$?
replayed=$(grep -c '^ok ' <<<"$out")
check "all ${#inputs[@]} inputs replay without a crash ($replayed did)" \
	test "$status" -eq 0 -a "$replayed" -eq "${#inputs[@]}"
[ "$status" -eq 0 ] || grep -v '^ok ' <<<"$out" | head -30 | diag

echo "1..$tap_n"
