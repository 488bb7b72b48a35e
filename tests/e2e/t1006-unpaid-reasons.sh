#!/usr/bin/env bash
# schemas/unpaid_reasons.csv maps every response code and unpaid reason
# description that Collexia's and Softy Comp's documentation list, onto the
# vocabulary — including the mappings the rules spell out.
. "$(dirname "$0")/lib.sh"

# Read the mapping with a real CSV parser (sqlite3's), not this test's.
sqlite3 "$tmp/reasons.db" ".import --csv $KASI_ROOT/schemas/unpaid_reasons.csv m"
reason_of() { # reason_of CHANNEL RAW
	local raw=${2//\'/\'\'}
	sqlite3 "$tmp/reasons.db" "select reason from m where channel = '$1' and raw_reason = '$raw'"
}

# Collexia's EnDO specification: appendices A (response codes), B (internal errors), D
# (industry codes) and E (mapping), and the DU03 of its example response.
collexia="0 02 03 06 12 18 30 40 44 48 56 99 ACCP
5672 10539 10550 10577 10578 10580 10584 10586 10587 10588 10590 10592 10593
10594 10595 10596 10597 10598 10599 10620 10623 10626 DU03
RR01 RR02 RR03 RR04 RR05 RR06 RR07 RR08 RR09 RR10 RR11 RR12 RR13 RR14 RR15
RR16 RR17 NA01 NA04 NA28 NA30 NA32 NA34 NA36 INV1 TX01 TR75 TR76 TR77"
missing=()
for code in $collexia; do
	[ -n "$(reason_of collexia "$code")" ] || missing+=("$code")
done
check "every Collexia response code is mapped (missing: ${missing[*]:-none})" test ${#missing[@]} -eq 0

# Softy Comp's "Unpaid Reason Types", one per line, as printed there.
missing=()
while IFS= read -r desc; do
	[ -n "$desc" ] || continue
	[ -n "$(reason_of softycomp "$desc")" ] || missing+=("$desc")
done <<'LIST'
Account Closed
Account Effects Not Cleared
Account Frozen
Account Holder Deceased
ACCOUNT HOLDER REQUESTED BLOCK
Account In Advance
Account In Liquidation
Account In Sequestration
Account Open - Not Paid Out
Account transferred To Other Bank Group
Account Transferred Within Bank Group
Authorisation Cancelled
Balance Exceeds Maximum
Bond Cancelled
Bridges Error
CDV FAILURE
Client Did Not Authorise Debit
Closed ACB Branch Code
Closed Beneficiary Code
Credits Only. Not Unique Transaction Reference
Credits only. Unrecognised Initiating Party
Data Base Down
Debit Contravenes Client's Authority
DEBITS ARE NOT ALLOWED FOR THIS BRANCH
Debits/Credits Not Allowed
Distribution Upfront Rejection
Exceptions Error
History Record Not Found
HOMING ACC. NO FAILS CDV EXCEPTION CODE
HOMING ACC. NO FAILS CDV VERIFICATION
HOMING ACC. NO IS ZERO
HOMING ACC. NO NO MATCHING ACCT TYPE CDV FOUND
HOMING ACC. NO NO MATCHING ACCTYPE CDV FOUND
HOMING ACC.NAMEIS BLANK
HOMING BRANCH IS NON-EXISTENT
Interest Calculation Error
Interest/Capital Exceeded
Invalid Branch
Invalid Data
Invalid Mode
Limits Violation
New Mortgage Loan Financial Error
New Mortgage Loans Invalid Due Date
No Book Error
No Such Account
No Transfer, Account In Advance
Not FICA Compliant
Not Provided For
Old/New Balances Differ
Online Transaction In Progress
ONLY CR. TRANS-ACTIONS AGAINSTA SAVINGS ACC
Original Tran Not Found
OTR Error/Refer EPSQ History
Override Required
PAAF Insufficient Funds
Payment Stopped
Payment stopped by account holder
Possible Stop Payment
Post Dated Transaction
Previously Stopped As Stop Payment
Recall/Withdrawal
Subscription Amount Required
Successful
Tran Backdated Beyond Limit
Tran on Managers Referral
Transaction Withdrawal
UNPROCESSED BY BANK - PLEASE RESUBMIT
LIST
check "every Softy Comp unpaid reason type is mapped (missing: ${missing[*]:-none})" \
	test ${#missing[@]} -eq 0

# The mappings the reason rules name.
for pair in "collexia 02" "collexia TR76" "collexia RR10" \
	"softycomp PAAF Insufficient Funds" "softycomp Not Provided For"; do
	got=$(reason_of "${pair%% *}" "${pair#* }")
	check "${pair#* } (${pair%% *}) is INSUFFICIENT_FUNDS ($got)" test "$got" = INSUFFICIENT_FUNDS
done
check "Collexia 99 (held for representment) is TRACKING" test "$(reason_of collexia 99)" = TRACKING
check "Collexia TR75 is TRACKING" test "$(reason_of collexia TR75)" = TRACKING

echo "1..$tap_n"
