#!/usr/bin/env bash
# Every invalid fixture is rejected (exit 65) with the rule it breaks named,
# at the row and column its expect file gives, in text and in JSON.
#
# fixtures/invalid/CASE/ holds one data file, an `expect` file written by
# hand (rule, row, column, and optionally the rendered value `received`),
# and optionally a schemas/ directory to validate against instead of the
# shipped one.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "not ok 1 - jq is needed (scripts/deps.sh installs it)"; exit 1; }

for dir in "$fixtures"/invalid/*/; do
	case_name=$(basename "$dir")
	rule=$(awk '$1=="rule"{print $2}' "$dir/expect")
	row=$(awk '$1=="row"{print $2}' "$dir/expect")
	column=$(awk '$1=="column"{print $2}' "$dir/expect")
	received=$(awk '$1=="received"{print $2}' "$dir/expect")
	schemas=$(awk '$1=="schemas"{print $2}' "$dir/expect")
	opts=()
	[ -n "$schemas" ] && opts=(--schemas "$dir/$schemas")
	file=$(find "$dir" -maxdepth 1 -type f ! -name expect | head -1)

	kasi "${opts[@]}" validate "$file"
	expect_status 65 "$case_name: rejected"
	where="$file: "
	[ -n "$row" ] && where+="row $row, "
	[ -n "$column" ] && where+="column '$column', "
	expect_out "$where$rule: " "$case_name: $rule named at ${row:+row $row}${column:+, column $column}"
	expect_out "invalid: " "$case_name: the verdict line says invalid"

	kasi "${opts[@]}" validate --json "$file"
	expect_status 65 "$case_name: rejected with --json"
	if jq -e . >/dev/null 2>&1 <<<"$out"; then
		ok "$case_name: --json prints one JSON document"
	else
		not_ok "$case_name: --json prints one JSON document"
		printf '%s\n' "$out" | head -5 | diag
	fi
	got=$(jq -r --arg r "$rule" '.errors_by_rule[$r] // 0' <<<"$out" 2>/dev/null)
	check "$case_name: JSON counts the $rule error" test "${got:-0}" -ge 1
	got=$(jq -r --arg r "$rule" '[.errors[] | select(.rule == $r)][0] | "\(.code) \(.row) \(.details.field)"' <<<"$out" 2>/dev/null)
	check "$case_name: JSON error has code, row and field ($got)" \
		test "$got" = "VALIDATION_ERROR ${row:-null} ${column:-null}"
	if [ -n "$received" ]; then
		got=$(jq -r --arg r "$rule" '[.errors[] | select(.rule == $r)][0].details.received' <<<"$out")
		check "$case_name: the value is shown as $received" test "$got" = "$received"
	fi
done

echo "1..$tap_n"
