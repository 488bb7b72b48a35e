# four_policies.sh — sourced by end-to-end tests (after lib.sh) that tell a
# small month by hand: two products and four policies, one per way of
# collecting.
#
#   PA (provider PROVA, 2.50%)  TP-1, TP-2  Softy Comp, collectionId 2001, 2002
#   PB (provider PROVB, 1% + R1) TP-3        Collexia, contract CX3
#                                TP-4        EasyPay code 91234567890103
#
# Every premium is R100.00 and every policy active since 2025. The header
# rows of the channels' files are in $softy_header, $collexia_header,
# $mobile_header and $easypay_header.

softy_header=$(head -1 "$fixtures/world/softycomp_transactions_20261001.csv")
collexia_header=$(head -1 "$fixtures/world/collexia_results_20261015.csv")
mobile_header=$(head -1 "$fixtures/world/mobilemoney_transactions_20261022.csv")
easypay_header=$(head -1 "$fixtures/world/easypay_recon_20261005.csv")

# four_policies DB: a store with the products and policies loaded, and
# 2026-10 scheduled.
four_policies() {
	local db=$1
	cat >"$tmp/four_products.csv" <<-'CSV'
	product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account
	PA,Plan A,PROVA,Provider A,250,0.00,64,62001234567
	PB,Plan B,PROVB,Provider B,100,1.00,65,000123456789
	CSV
	cat >"$tmp/four_policies.csv" <<-'CSV'
	policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date
	TP-1,PA,Customer One,,100.00,softycomp,2001,,1,active,2025-01-01,
	TP-2,PA,Customer Two,,100.00,softycomp,2002,,1,active,2025-01-01,
	TP-3,PB,Customer Three,,100.00,collexia,CX3,,1,active,2025-01-01,
	TP-4,PB,Customer Four,,100.00,easypay,,91234567890103,,active,2025-01-01,
	CSV
	"$KASI" --db "$db" init >/dev/null &&
		"$KASI" --db "$db" load products "$tmp/four_products.csv" >/dev/null &&
		"$KASI" --db "$db" load policies "$tmp/four_policies.csv" >/dev/null &&
		"$KASI" --db "$db" schedule --period 2026-10 >/dev/null
}

# day_file DIR NAME HEADER ROW...: write DIR/NAME with the header and rows.
day_file() {
	local dir=$1 name=$2
	shift 2
	mkdir -p "$dir"
	printf '%s\n' "$@" >"$dir/$name"
}
