#!/usr/bin/env bash
# Mobile money amounts: every example of the wallet API's amount-validation
# table, accepted or refused as the API says; and rands settle in cents:
# 5.5500 is R5.55, 5.5555 (a fraction of a cent) is refused, never rounded.
# The one example the API permits that kasi refuses is 555555555555555555:
# eighteen integer digits are valid to the API, but no such amount of rands
# fits in int64 cents, and every money column has a ceiling (R1 million
# here). Stored amounts are read back from the store, in cents.
. "$(dirname "$0")/lib.sh"

header='transactionReference,clientCorrelationId,requestDate,amount,currency,type,transactionStatus,debitPartyMsisdn,accountReference,errorCategory,errorCode'
file=$tmp/mobilemoney_transactions_20261022.csv
one() { # one AMOUNT: a file of one completed payment of AMOUNT
	printf '%s\nMM-1,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b60,2026-10-22T09:15:00+02:00,%s,ZAR,merchantpay,completed,27821234567,POL-1007,,\n' \
		"$header" "$1" >"$file"
}

# The API's table: value, permitted?
while read -r value permitted; do
	one "$value"
	kasi validate "$file"
	if [ "$permitted" = yes ]; then
		expect_status 0 "'$value' is an amount"
	else
		expect_status 65 "'$value' is refused"
		expect_out "column 'amount', " "'$value': the amount column is named"
	fi
done <<'TABLE'
5 yes
5.0 yes
5. no
5.00 yes
5.5 yes
5.50 yes
5.55555 no
5555555555555555555 no
-5.5 no
0.5 yes
.5 no
00.5 no
0 yes
00.00 no
0.00 yes
0000001.32 no
TABLE

# Where kasi refuses what the API permits, it says why.
one 5.5555
kasi validate "$file"
expect_status 65 "5.5555 is refused: a fraction of a cent"
expect_out "column 'amount', money: a fraction of a cent" "by the money rule, saying so"
one 555555555555555555
kasi validate "$file"
expect_status 65 "555555555555555555 is refused: it is no amount of rands kasi can count"
expect_out "column 'amount', money: " "by the money rule"

# Accepted amounts are stored as whole cents.
db=$tmp/kasi.db
world "$db"
kasi --db "$db" ingest "$fixtures/valid/mobilemoney-amounts/mobilemoney_transactions_20261022.csv"
expect_status 0 "the file of every permitted amount ingests"
got=$(sql "$db" "SELECT group_concat(amount, ' ') FROM (SELECT amount FROM facts WHERE channel = 'mobilemoney' ORDER BY fact_id)")
check "stored as 500 500 500 550 550 50 0 0 555 2000 2000 cents ($got)" \
	test "$got" = "500 500 500 550 550 50 0 0 555 2000 2000"
got=$(sql "$db" "SELECT group_concat(canonical_kind, ' ') FROM (SELECT canonical_kind FROM facts WHERE channel = 'mobilemoney' ORDER BY fact_id)")
check "payments collected, a failure, a transfer ignored ($got)" \
	test "$got" = "collected collected collected collected collected collected collected collected collected failed ignored"

echo "1..$tap_n"
