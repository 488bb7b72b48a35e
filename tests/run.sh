#!/usr/bin/env bash
# Run the whole suite: the unit test binaries given as arguments, then every
# tests/e2e/t*.sh. Each speaks TAP ("ok N - ...", "not ok N - ..."); this
# counts the lines, shows each failure with its diagnostics, and ends with
# "N passed, M failed". A test program that dies without reporting a
# failure (a crash, a sanitizer report, a non-zero exit) counts as one.
#
# Environment: KASI (the binary under test) and KASI_SCHEMAS are set by
# `make test` / `make asan`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export KASI_ROOT=$(cd "$here/.." && pwd)
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0

run_one() {
	local name=$1
	shift
	local out rc p f
	out=$("$@" 2>&1)
	rc=$?
	p=$(grep -c '^ok ' <<<"$out")
	f=$(grep -c '^not ok ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		out+=$'\n'"not ok - $name exited with status $rc"
	fi
	# A test that planned N results must report N: a result lost (its line
	# sent to /dev/null with its command) is a check that cannot fail.
	local plan
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' <<<"$out" | tail -1)
	if [ -n "$plan" ] && [ "$plan" -ne $((p + f)) ]; then
		f=$((f + 1))
		out+=$'\n'"not ok - $name planned $plan results and reported $((p + f - 1))"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p passed, $f failed)"
		# Each failing line with the diagnostics that follow it.
		awk '/^not ok /{show=1; print "    " $0; next} /^ok /{show=0} show && /^#/{print "    " $0}' <<<"$out"
		if [ "$rc" -ne 0 ]; then
			grep -v -E '^(ok |not ok |#|1\.\.)' <<<"$out" | head -40 | sed 's/^/    /'
		fi
	else
		echo "ok   $name ($p passed)"
	fi
}

for bin in "$@"; do
	run_one "unit/$(basename "$bin")" "$bin"
done
for t in "$here"/e2e/t[0-9]*.sh; do
	run_one "e2e/$(basename "$t")" bash "$t"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
