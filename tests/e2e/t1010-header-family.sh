#!/usr/bin/env bash
# Every shipped schema, every column its header must carry, in turn
# renamed, removed and named twice, in a file that is otherwise valid:
# validate, and load or ingest (whichever takes the schema's files),
# always exit 65 with the rule the header broke (missing_column,
# unknown_column, duplicate_column) in the report, and the store keeps
# exactly what it held (but for the record of a rejected attempt: the
# files and discrepancies rows of FILE_REJECTED). A file whose header
# failed used to reach load's and ingest's row handlers: a crash, or a
# store error (exit 74).
. "$(dirname "$0")/lib.sh"

# Each file goes into a store where, had it loaded, it would have added
# rows: reference data into a store without it (policies: with the
# products they name), channel files into the world's registers.
"$KASI" --db "$tmp/empty.db" init >/dev/null
"$KASI" --db "$tmp/products.db" init >/dev/null
"$KASI" --db "$tmp/products.db" load products "$fixtures/world/products.csv" >/dev/null
world "$tmp/world.db" || { echo "not ok 1 - the fixture world loads"; exit 1; }
store_for() {
	case $1 in
	products | ledger) echo "$tmp/empty.db" ;;
	policies) echo "$tmp/products.db" ;;
	*) echo "$tmp/world.db" ;;
	esac
}

# Everything a store holds but the record of attempts, as one digest.
tables=$(sql "$tmp/world.db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('files', 'discrepancies', 'exceptions') ORDER BY name")
digest() {
	local q="" t
	for t in $tables; do q+="SELECT '$t'; SELECT * FROM \"$t\";"; done
	sqlite3 -batch -noheader -cmd ".mode quote" "$1" "$q" | sha256sum
}

# The columns a schema's header must carry (all but absent_ok ones).
columns_of() {
	awk '/^column /{if (c != "" && !ok) print c; c = $2; ok = 0; next}
	     /^[ \t]+absent_ok/{ok = 1}
	     END{if (c != "" && !ok) print c}' "$1"
}

# How each schema's files go into the store: "load KIND", "ingest", or
# nothing (the reason mapping is read by reconcile, never loaded).
store_cmd() {
	case $1 in
	products | policies | ledger) echo "load $1" ;;
	*) grep -q '^channel ' "$KASI_ROOT/schemas/$1.schema" && echo ingest ;;
	esac
}

# A valid file with data rows for the schema, from the fixtures, and a
# name its pattern accepts.
base_for() {
	local f
	for f in "$fixtures"/world/*.csv "$fixtures"/valid/*/*.csv "$KASI_ROOT"/schemas/*.csv; do
		[ "$(wc -l < "$f")" -ge 2 ] || continue
		grep -q $'\r' "$f" && continue # line-based editing below wants LF only
		"$KASI" validate "$f" 2>/dev/null | grep -q "valid: .*, schema $1\(,\|\$\)" || continue
		echo "$f"
		return
	done
}

# edit OP K FILE: the file with its header's K-th field renamed, removed
# (from every row) or repeated at the end of every row. Fields are split
# as CSV (a quoted comma stays inside its field).
edit() {
	awk -v op="$1" -v k="$2" '
	function split_csv(line, out,    n, i, c, f, q) {
		n = 0; f = ""; q = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (q) {
				if (c == "\"" && substr(line, i + 1, 1) == "\"") { f = f "\"\""; i++ }
				else { if (c == "\"") q = 0; f = f c }
			} else if (c == "\"") { q = 1; f = f c }
			else if (c == ",") { out[++n] = f; f = "" }
			else f = f c
		}
		out[++n] = f
		return n
	}
	{
		n = split_csv($0, f)
		line = ""
		for (i = 1; i <= n; i++) {
			v = f[i]
			if (i == k && op == "renamed" && NR == 1) v = v "_x"
			if (i == k && op == "removed") continue
			line = line (line == "" ? "" : ",") v
		}
		if (op == "duplicated") line = line "," f[k]
		print line
	}' "$3"
}

for sf in "$KASI_ROOT"/schemas/*.schema; do
	schema=$(basename "$sf" .schema)
	base=$(base_for "$schema")
	check "$schema: a valid fixture to start from (${base#"$KASI_ROOT"/})" test -n "$base"
	[ -n "$base" ] || continue
	cmd=$(store_cmd "$schema")
	db=$(store_for "$schema")
	before=$(digest "$db")
	header=$(head -1 "$base")
	for col in $(columns_of "$sf"); do
		k=$(tr ',' '\n' <<<"$header" | grep -nxF "$col" | cut -d: -f1)
		check "$schema: the base file's header has '$col'" test -n "$k"
		[ -n "$k" ] || continue
		for op in renamed removed duplicated; do
			d=$tmp/$schema/$col/$op
			mkdir -p "$d"
			f=$d/$(basename "$base")
			edit "$op" "$k" "$base" > "$f"
			case $op in
			renamed) want=("column '$col', missing_column: " "column '${col}_x', unknown_column: ") ;;
			removed) want=("column '$col', missing_column: ") ;;
			duplicated) want=("column '$col', duplicate_column: ") ;;
			esac
			what="$schema: '$col' $op"

			kasi validate --schema "$schema" "$f"
			expect_status 65 "$what: validate exits 65"
			for w in "${want[@]}"; do
				expect_out "$f: row 1, $w" "$what: validate reports ${w%: }"
			done
			[ -n "$cmd" ] || continue

			# shellcheck disable=SC2086
			kasi --db "$db" $cmd "$f"
			expect_status 65 "$what: ${cmd% *} exits 65"
			for w in "${want[@]}"; do
				expect_out "$f: row 1, $w" "$what: ${cmd% *} reports ${w%: }"
			done
			after=$(digest "$db")
			check "$what: ${cmd% *} leaves the store as it was" test "$after" = "$before"
			before=$after
			[ "$cmd" = ingest ] && expect_out "$f: FILE_REJECTED" "$what: ingest records FILE_REJECTED"
		done
	done
done

echo "1..$tap_n"
