/*
 * discrepancy.h — the discrepancy codes and their severities.
 *
 * error: money may be wrong or unaccounted for until someone acts;
 * warning: the money is right, but something needs a look (a refund to
 * arrange, a file to chase); info: recorded, nothing to do.
 */
#ifndef KASI_DISCREPANCY_H
#define KASI_DISCREPANCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define D_FILE_REJECTED		     "FILE_REJECTED"
#define D_DUPLICATE_FILE	     "DUPLICATE_FILE"
#define D_DUPLICATE_TRANSACTION	     "DUPLICATE_TRANSACTION"
#define D_CONFLICTING_DUPLICATE	     "CONFLICTING_DUPLICATE"
#define D_UNKNOWN_REFERENCE	     "UNKNOWN_REFERENCE"
#define D_AMOUNT_MISMATCH	     "AMOUNT_MISMATCH"
#define D_STATUS_MISMATCH	     "STATUS_MISMATCH"
#define D_MISSING_FROM_FILE	     "MISSING_FROM_FILE"
#define D_MISSING_FROM_LEDGER	     "MISSING_FROM_LEDGER"
#define D_ORPHAN_REVERSAL	     "ORPHAN_REVERSAL"
#define D_OVERPAYMENT		     "OVERPAYMENT"
#define D_PAYMENT_ON_INACTIVE_POLICY "PAYMENT_ON_INACTIVE_POLICY"
#define D_OUT_OF_PERIOD		     "OUT_OF_PERIOD"
#define D_MISSING_FILE		     "MISSING_FILE"
#define D_PAYOUT_MISMATCH	     "PAYOUT_MISMATCH"
#define D_PAYOUT_REJECTED	     "PAYOUT_REJECTED"
#define D_UNEXPECTED_SIGN	     "UNEXPECTED_SIGN"
#define D_PAYOUT_CONFLICT	     "PAYOUT_CONFLICT"

/* "error", "warning" or "info"; "error" for a code it does not know. */
const char *discrepancy_severity(const char *code);
/* Whether the code is about a policy's month rather than one row (an
 * overpayment): its exception is then the policy's, whichever row the
 * discrepancy names. */
bool discrepancy_of_policy_month(const char *code);

struct store;
struct finding;
struct err;
struct schema;
struct store_duplicate;
struct store_fact_values;

#define DISCREPANCY_VALUES_BUFSZ 1024
/* A repeat's discrepancy (a row whose key was counted before, its values
 * now, of a row of schema, NULL when unknown): its code,
 * DUPLICATE_TRANSACTION when its content is the counted row's, else
 * CONFLICTING_DUPLICATE; its detail into detail (size bytes), naming the
 * row counted and the key they share. A conflicting one's expected and
 * actual: the values that differ, the counted row's and this one's
 * ("amount 95.50", "date 2026-10-01, amount 95.50"), a personal one
 * masked (any reference, without a schema to say); "" when they are the
 * same (the rows differ in a column kasi does not keep), or a duplicate. */
const char *discrepancy_repeat(const struct schema *schema, const struct store_fact_values *now,
			       const struct store_duplicate *dup, char *detail, size_t size,
			       char expected[DISCREPANCY_VALUES_BUFSZ],
			       char actual[DISCREPANCY_VALUES_BUFSZ]);

/* A row's dates, for the schema's `future_dated` rules: each as stored
 * (ISO, NULL: none) and as a day number; and its kind. */
struct dated_row {
	int kind; /* enum fact_kind */
	const char *date, *status_date, *cycle_date;
	int32_t day, status_day, cycle_day;
};
/* OUT_OF_PERIOD: the first date the schema says a row may not carry
 * beyond its file's date that it does. Its expected value ("2026-10-05 or
 * before") into want, its detail into detail (OUT_OF_PERIOD_DETAIL_BUFSZ
 * bytes, as ingest and void both give it); *value the date. false when
 * none (want and detail untouched). */
enum { OUT_OF_PERIOD_WANT_BUFSZ = 32, OUT_OF_PERIOD_DETAIL_BUFSZ = 1024 };
bool discrepancy_out_of_period(const struct schema *schema, int32_t file_date,
			       const struct dated_row *row, char want[OUT_OF_PERIOD_WANT_BUFSZ],
			       char *detail, size_t size, const char **value);

/* A row's reference as its discrepancies show it: the number of the
 * policy it names (by the key its schema matches) into policy, else as
 * the row gives it, masked where its column is personal (into shown);
 * with no schema (NULL) to say, masked.
 * *out points at one of them. 0, or a negative status. */
int discrepancy_reference(struct store *s, const struct schema *schema, const char *channel,
			  const char *reference, char policy[64], char *shown, const char **out,
			  struct err *e);

/* Record what reconciling a period found, each with its severity, in the
 * caller's transaction; a finding about a known policy names it by its
 * policy number. */
int discrepancy_write_all(struct store *s, const char *period, const struct finding *f, size_t n,
			  struct err *e);

#endif
