/*
 * summary.h — the finance summary (`kasi report summary --period P`): one
 * self-contained HTML page a finance manager reads on a laptop or a
 * phone, and can print.
 *
 * No external resource, no script: styles inline, charts inline SVG.
 * Every figure is one the CSV reports and the other commands give for the
 * same store: outcomes by status with their money (the outcomes report's
 * totals), collection rate by provider and by channel (collected over
 * expected), expected (by debit day) and collected (by business date)
 * through the month, open exceptions by code and age (the worklist), the
 * settlement batches through the period and the month after it and their
 * payouts, and debit-order health against its limits. Aggregates only:
 * the one list of rows (the open exceptions with the most money at stake)
 * shows references and transaction ids, masked when they hold a run of
 * digits, as every message does.
 */
#ifndef KASI_SUMMARY_H
#define KASI_SUMMARY_H

#include <stdio.h>

#include "stage/reasons.h"
#include "store/store.h"

struct summary_opts {
	const char *period; /* YYYY-MM, reconciled and up to date (the caller checks) */
	int64_t now;	    /* the clock: exceptions' ages, the page's date */
	const struct reasons *reasons;
	const struct debit_limits *limits;
	const char *version; /* kasi's, shown at the foot */
};

/* Write the page onto f. Returns 0, or a negative status (the store
 * failed, a sum passed int64 cents). */
int summary_write(struct store *s, const struct summary_opts *o, FILE *f, struct err *e);

#endif
