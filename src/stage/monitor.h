/*
 * monitor.h — debit-order health (`kasi monitor --period P`).
 *
 * The payments association holds a debit-order user to at most a share of
 * unpaids, and of disputes, among the debit instructions it submits; a
 * bureau that exceeds them for a provider risks losing the facility. Per
 * debit channel (a schema of the debits or instructions flow) and
 * provider, for the period and the five before it, as each reconcile
 * recorded them:
 *   instructions  the debit instructions that reached a final state in
 *                 the period (collected, or failed; pending, tracking and
 *                 cancelled ones are not final)
 *   unpaids       those reversed or failed
 *   disputes      the unpaids whose raw reason the reasons mapping marks
 *                 a dispute
 * Each ratio (of the instructions) beside its limit (debit_limits.csv); a
 * ratio over its limit in the period is a breach.
 */
#ifndef KASI_MONITOR_H
#define KASI_MONITOR_H

#include "core/dates.h"
#include "stage/reasons.h"
#include "store/store.h"

#define MONITOR_PERIODS 6 /* the period and the five before it, oldest first */

struct monitor_cell {
	bool known; /* the period was reconciled with debit results recorded */
	int64_t instructions, unpaids, disputes;
};

struct monitor_line {
	char *channel, *provider;		    /* whole, whatever their length */
	struct monitor_cell cells[MONITOR_PERIODS]; /* the last: the period */
	bool unpaids_breach, disputes_breach;
};

struct monitor {
	char periods[MONITOR_PERIODS][PERIOD_BUFSZ];
	struct debit_limits limits;
	struct monitor_line *lines; /* by channel, then provider */
	size_t n, cap;
	int breaches;
};

/* The health of period's debit orders into *out. -KASI_EDATA when the
 * period is not reconciled, is out of date, or was reconciled before kasi
 * recorded debit results. */
int monitor_build(struct store *s, const struct reasons *reasons, const struct debit_limits *l,
		  const char *period, struct monitor *out, struct err *e);
void monitor_release(struct monitor *m);

/* n of d in hundredths of a percent, rounded half up (d > 0); and whether
 * n of d is over a limit of bps basis points (exact: n * 10000 > bps * d). */
int64_t monitor_ratio_bps(int64_t n, int64_t d);
/* n of d as percent with two decimals ("12.34"), into buf; NULL when d
 * is not positive (nothing to divide by). A limit is n bps of d = 10000. */
#define MONITOR_PERCENT_BUFSZ 32
const char *monitor_percent(int64_t n, int64_t d, char buf[MONITOR_PERCENT_BUFSZ]);
bool monitor_over(int64_t n, int64_t d, int64_t bps);

#endif
