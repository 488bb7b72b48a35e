/*
 * period_report.h — a period's outcomes and discrepancies as CSV reports,
 * for `kasi report` and for the nightly job.
 *
 *   outcomes:      policy_number,product_code,period,status,expected,
 *                  collected,shortfall,pending,reason
 *   discrepancies: code,severity,channel,file,row,reference,
 *                  transaction_id,expected,actual,detail,
 *                  id,status,first_seen,age
 *                  (the last four: the exception each is, see
 *                  exception.h; age as at now)
 */
#ifndef KASI_PERIOD_REPORT_H
#define KASI_PERIOD_REPORT_H

#include "stage/outcome.h"
#include "stage/report.h"
#include "store/store.h"

/* Discrepancies counted by code, as a report's summary shows them. */
struct discrepancy_counts {
	int64_t rows;
	struct {
		char code[40], severity[16];
		int64_t n;
	} codes[32];
	size_t ncodes;
};

/* The header and every outcome of the period into rep; their totals into
 * *t (zeroed here). */
int period_report_outcomes(struct store *s, const char *period, struct report *rep,
			   struct outcome_totals *t, struct err *e);

/* The header and the discrepancies of the periods, in turn, into rep
 * (with file_id set, only those of that file: not of another sent under
 * the same name); counted into *c (zeroed here). */
int period_report_discrepancies(struct store *s, const char *const *periods, size_t nperiods,
				int64_t file_id, int64_t now, struct report *rep,
				struct discrepancy_counts *c, struct err *e);

#endif
