#!/usr/bin/env bash
# make demo: kasi on the bundled fixtures, as an operator would see it.
#
# For now (issue 2) this validates the fixture world — the reference data
# and a month's channel files in fixtures/world — prints a summary, shows
# one rejected file's report, and writes every report (text and JSON,
# mode 0600) under demo/reports/. Later issues turn it into the full
# nightly job.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
KASI=${KASI:-./kasi}
export KASI_SCHEMAS=$root/schemas
out=demo/reports
rm -rf demo
mkdir -p "$out"
umask 077

echo "kasi demo: validating the fixture world (fixtures/world)"
echo
printf '  %-40s %-24s %6s  %s\n' file schema rows verdict
valid=0 rejected=0
for f in fixtures/world/*.csv fixtures/invalid/luhn/easypay_recon_20261005.csv; do
	name=$(basename "$f")
	[ "$f" = fixtures/invalid/luhn/easypay_recon_20261005.csv ] && name="invalid/luhn/$name"
	report=$out/${name//\//_}
	set +e
	"$KASI" validate "$f" > "$report.txt"
	status=$?
	"$KASI" validate --json "$f" > "$report.json"
	set -e
	schema=$(jq -r '.schema' "$report.json")
	rows=$(jq -r '.rows' "$report.json")
	if [ "$status" -eq 0 ]; then
		verdict=valid
		valid=$((valid + 1))
	else
		verdict="REJECTED ($(jq -r '.errors_by_rule | to_entries | map("\(.key) \(.value)") | join(", ")' "$report.json"))"
		rejected=$((rejected + 1))
	fi
	printf '  %-40s %-24s %6s  %s\n' "$name" "$schema" "$rows" "$verdict"
done
echo
echo "  $((valid + rejected)) files: $valid valid, $rejected rejected"
echo
echo "A rejected file's report, as the operator gets it (ID and account numbers"
echo "would be masked):"
sed 's/^/  /' "$out/invalid_luhn_easypay_recon_20261005.csv.txt"
echo
echo "Reports (text and JSON, mode 0600) are in $root/$out/"
echo "Next: 'make test' runs the test suite; 'kasi help' lists the commands."
