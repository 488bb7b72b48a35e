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

kasi
expect_status 64 "no command is a usage error"

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
expect_err "  softycomp_transactions  ^softycomp_transactions_" "validate lists them too"

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

echo "1..$tap_n"
