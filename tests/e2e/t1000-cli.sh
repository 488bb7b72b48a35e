#!/usr/bin/env bash
# The command line: help, exit codes, schema directory lookup.
. "$(dirname "$0")/lib.sh"

kasi help
expect_status 0 "kasi help exits 0"
expect_out "validate" "kasi help lists validate"
expect_out "65 data rejected" "kasi help documents the exit codes"

kasi help validate
expect_status 0 "kasi help validate exits 0"
expect_out "usage: kasi validate FILE [--schema NAME] [--json]" "kasi help validate shows its usage"

kasi validate --help
expect_status 0 "kasi validate --help exits 0"
expect_out "--schema NAME" "kasi validate --help documents --schema"

kasi --version
expect_status 0 "kasi --version exits 0"
expect_out "kasi " "kasi --version prints the version"

# Regression: 'kasi version' promised the libraries' versions and printed
# only kasi's. Each is the one kasi runs on (the same as the installed
# development package here; libcsv's is the one it was built against).
kasi version
expect_status 0 "kasi version exits 0"
for lib in "SQLite sqlite3" "PCRE2 libpcre2-8" "zlib zlib" "libssh libssh" "OpenSSL libcrypto"; do
	set -- $lib
	expect_out "  $(printf '%-8s' "$1") $(pkg-config --modversion "$2")" "kasi version prints $1's version"
done
check "and libcsv's" grep -qE '^  libcsv +[0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"

# Regression: help spoke of what kasi did not do yet (settling providers
# before kasi settle existed, exit 69 before anything was fetched). Every
# command the overview names has its own help now.
kasi help
expect_out "75 the store, or the job, is locked by another kasi" "kasi help says what exit 75 means today"
expect_out "69 a partner's server unavailable" "and exit 69, now that kasi fetches"
commands=$(awk '/^commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}' <<<"$out")
check "the overview names commands (${commands//$'\n'/ })" test -n "$commands"
for c in $commands; do
	kasi help "$c"
	check "kasi help $c: a command that exists" test "$status" = 0
	help=$out
	# (regression: 'kasi version --help' was a usage error, exit 64)
	for opt in --help -h; do
		kasi "$c" "$opt"
		check "kasi $c $opt: exit 0 (got $status)" test "$status" = 0
		check "kasi $c $opt: the help 'kasi help $c' shows" test "$out" = "$help"
	done
done

kasi
expect_status 64 "no command is a usage error"

kasi --db "$tmp/a.db" --db="$tmp/b.db" status
expect_status 64 "regression: a global option given twice is a usage error"
expect_err "--db is given twice" "and says so"
kasi --schemas a --schemas b status
expect_status 64 "--schemas given twice too"

kasi frobnicate
expect_status 64 "an unknown command exits 64"
expect_err "unknown command 'frobnicate'" "an unknown command is named"
expect_err "usage: kasi" "an unknown command prints the usage"

kasi --frob validate x
expect_status 64 "an unknown global option exits 64"

kasi --db
expect_status 64 "a global option without its value exits 64"

kasi help frobnicate
expect_status 64 "help on an unknown command exits 64"

# Regression: a global option after the command was left to the command:
# 'kasi status --db x' opened ./kasi.db ("no store at 'kasi.db'", exit 66),
# others called it an unknown option. Refused in one place, for every
# command, with the line meant.
kasi status --db "$tmp/x.db"
expect_status 64 "a global option after the command exits 64"
expect_err "global options go before the command: kasi --db $tmp/x.db status" "with the line meant"
kasi reconcile --period 2026-10 --db="$tmp/x.db"
expect_err "global options go before the command: kasi --db=$tmp/x.db reconcile --period 2026-10" \
	"--db=PATH after the command's options too"
kasi -v validate "$fixtures/world/products.csv" --schemas "$KASI_ROOT/schemas" -v
expect_status 64 "--schemas and -v after the command exit 64"
expect_err "kasi -v --schemas $KASI_ROOT/schemas -v validate $fixtures/world/products.csv" \
	"and all are moved before it, those given before kept"
kasi status --db
expect_err "kasi --db PATH status" "a misplaced --db without its value is named with its placeholder"
kasi validate -- --db
expect_status 66 "after --, --db is an operand (a file that is missing)"

kasi validate --nosuch "$fixtures/world/products.csv"
expect_status 64 "an unknown validate option exits 64"
expect_err "usage: kasi validate" "an unknown validate option prints the command's usage"

kasi validate
expect_status 64 "validate without FILE exits 64"

kasi validate a.csv b.csv
expect_status 64 "validate with two files exits 64"

kasi validate --schema
expect_status 64 "--schema without a name exits 64"

kasi validate --schema nosuch "$fixtures/world/products.csv"
expect_status 64 "an unknown --schema name exits 64"
expect_err "no schema named 'nosuch'" "an unknown --schema name is named"

# Regression: a bare period where --period was meant ('kasi schedule
# 2026-10') got only "unexpected '2026-10'": it now says what was meant.
"$KASI" --db "$tmp/p.db" init >/dev/null
for args in "schedule 2026-10" "reconcile 2026-10" "explain POL-1001 2026-10" "report outcomes 2026-10"; do
	kasi --db "$tmp/p.db" $args
	expect_status 64 "kasi $args is a usage error"
	expect_err "did you mean --period 2026-10?" "kasi $args: did you mean --period 2026-10?"
done
kasi --db "$tmp/p.db" schedule --period 2026-10 2026-11
expect_err "unexpected '2026-11'" "with --period given, another period is only unexpected"
check "and no hint" bash -c '! grep -q "did you mean" <<<"$1"' _ "$err"

# --schemas, $KASI_SCHEMAS and their precedence.
kasi --schemas "$tmp/none" validate "$fixtures/world/products.csv"
expect_status 78 "a missing schema directory exits 78"

mkdir -p "$tmp/empty"
kasi --schemas "$tmp/empty" validate "$fixtures/world/products.csv"
expect_status 78 "a schema directory without schemas exits 78"

mkdir -p "$tmp/bad"
printf 'description broken\nfile_name ^x\\.csv$\ncolumn a\n\trequired\n\tmax_length many\n' > "$tmp/bad/broken.schema"
kasi --schemas "$tmp/bad" validate "$fixtures/world/products.csv"
expect_status 78 "a bad schema exits 78"
expect_err "broken.schema:5: max_length: expected a positive whole number, got 'many'" \
	"a bad schema is reported with its file and line"

KASI_SCHEMAS="$tmp/bad" kasi validate "$fixtures/world/products.csv"
expect_status 78 "\$KASI_SCHEMAS is used when --schemas is not given"

KASI_SCHEMAS="$tmp/bad" kasi --schemas "$KASI_ROOT/schemas" validate "$fixtures/world/products.csv"
expect_status 0 "--schemas wins over \$KASI_SCHEMAS"

# Without either, the schemas/ beside the binary are used.
mkdir -p "$tmp/inst"
cp "$KASI" "$tmp/inst/kasi"
cp -r "$KASI_ROOT/schemas" "$tmp/inst/schemas"
out=$(env -u KASI_SCHEMAS "$tmp/inst/kasi" validate "$fixtures/world/products.csv" 2>&1)
status=$?
expect_status 0 "schemas/ beside the binary are found without --schemas"

# The file name chooses the schema; a name no schema knows is rejected.
cp "$fixtures/world/products.csv" "$tmp/whatever.csv"
kasi validate "$tmp/whatever.csv"
expect_status 65 "a file name no schema matches exits 65"
expect_err "no schema's file name pattern matches 'whatever.csv'" "the unknown name is reported"

# Regression: `kasi ingest softy.csv` said only to name a schema with
# --schema; it lists every schema's name and file-name pattern too.
cp "$fixtures/world/softycomp_transactions_20261001.csv" "$tmp/softy.csv"
kasi --db "$tmp/names.db" init
kasi --db "$tmp/names.db" ingest "$tmp/softy.csv"
expect_status 65 "ingest of a name no schema matches exits 65"
expect_err "(name one with --schema NAME, or name the file as one of these expects):" \
	"says to name a schema with --schema, or to rename the file"
width=0
for sf in "$KASI_ROOT"/schemas/*.schema; do
	name=$(basename "$sf" .schema)
	[ ${#name} -gt "$width" ] && width=${#name}
done
for sf in "$KASI_ROOT"/schemas/*.schema; do
	name=$(basename "$sf" .schema)
	pattern=$(sed -n 's/^file_name //p' "$sf")
	check "regression: ingest lists schema $name with its pattern $pattern" \
		grep -qxF "  $(printf '%-*s' "$width" "$name")  $pattern" <<<"$err"
done
check "nothing was stored" test "$(sql "$tmp/names.db" "SELECT count(*) FROM files")" = 0
kasi validate "$tmp/softy.csv"
check "validate lists them too" grep -qE '^  softycomp_transactions +\^softycomp_transactions_' <<<"$err"

kasi validate --schema products "$tmp/whatever.csv"
expect_status 0 "--schema validates a file whatever its name"

mkdir -p "$tmp/twin"
cp "$KASI_ROOT/schemas/products.schema" "$tmp/twin/products.schema"
cp "$KASI_ROOT/schemas/products.schema" "$tmp/twin/products_copy.schema"
kasi --schemas "$tmp/twin" validate "$fixtures/world/products.csv"
expect_status 78 "a name that two schemas match is a configuration error"

# Missing and unreadable input.
kasi validate "$tmp/nonexistent_20261005.csv"
expect_status 66 "a missing file exits 66"
expect_err "cannot open" "a missing file is reported"

mkdir -p "$tmp/easypay_recon_20261005.csv"
kasi validate "$tmp/easypay_recon_20261005.csv"
expect_status 66 "a directory exits 66"

# (regression: the store was opened before a command read its arguments,
# so with no store a mistyped command line said "no store", and the usage
# came only once there was one) A usage mistake is told as one first.
none=$tmp/no-store.db
for line in "reconcile 2026-10" "report outcomes" "settle" "exceptions resolve x --note y" \
	"explain --period 2026-10" "ingest" "load policies" "run" "fetch" "status extra" \
	"void" "schedule --period 2026-13" "monitor"; do
	# shellcheck disable=SC2086
	kasi --db "$none" $line
	expect_status 64 "with no store, 'kasi $line' is a usage error (64)"
	expect_err "usage: kasi ${line%% *}" "and shows the usage of 'kasi ${line%% *}'"
done
check "no store was made by any of them" test ! -e "$none"
kasi --db "$none" reconcile --period 2026-10
expect_status 66 "a right command line with no store is still 66"
expect_err "no store at '$none'" "saying there is no store"

# (regression: a message quoted what it was given raw, so an argument,
# a path or $KASI_NOW holding an escape or a newline reached the terminal
# or split a log line) Every control byte in a message is shown as \xNN.
kasi --db "$none" reconcile --period $'\e[31mX\nY'
expect_status 64 "a period holding an escape and a newline is a usage error"
expect_err "'\\x1B[31mX\\x0AY' is not a period" "the escape and the newline shown as \\xNN"
check "no raw escape reaches stderr" bash -c '! grep -q $'"'"'\e'"'"' <<<"$1"' _ "$err"
check "and the message stays one line" test "$(grep -c "is not a period" <<<"$err")" = 1
KASI_NOW=$'2026\e]0;x\a' kasi --db "$none" status
expect_status 78 "a \$KASI_NOW holding control bytes is refused"
expect_err "got '2026\\x1B]0;x\\x07'" "and quoted escaped"

# (regression: validate, load and ingest printed the path they were given
# raw in their result lines) A directory named with an escape is shown
# escaped in every line.
odd=$tmp/$'ev\e[31mil'
mkdir -p "$odd"
cp "$fixtures/world/products.csv" "$fixtures/world/easypay_recon_20261020.csv" "$odd/"
"$KASI" --db "$tmp/odd.db" init >/dev/null
for command in validate load ingest; do
	case $command in
	validate) kasi validate "$odd/products.csv" ;;
	load) kasi --db "$tmp/odd.db" load products "$odd/products.csv" ;;
	ingest) kasi --db "$tmp/odd.db" ingest "$odd/easypay_recon_20261020.csv" ;;
	esac
	check "kasi $command: the path shown escaped" grep -qF 'ev\x1B[31mil/' <<<"$out"
	check "kasi $command: no raw escape in its output" bash -c '! grep -q $'"'"'\e'"'"' <<<"$1$2"' _ "$out" "$err"
done

echo "1..$tap_n"
