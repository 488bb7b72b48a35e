/*
 * exception.h — what the finance team's worklist says of an exception:
 * its status, its age since first seen, and the money at stake.
 *
 *   status     open (to be worked), resolved (someone said why, and its
 *              values have not changed since), cleared (a reconcile no
 *              longer finds it)
 *   age        whole days since first seen, in buckets: 0-1d, 2-7d,
 *              8-30d, >30d
 *   at stake   0 for an info (recorded, nothing to do: a duplicate
 *              skipped); else the difference when both expected and
 *              actual are amounts (an amount mismatch, an overpayment);
 *              else the amount of the row that raised it, or the amount
 *              it asked for if larger (an unknown reference, a failed
 *              instruction, a rejected payout); else the one of expected
 *              and actual that is an amount (a ledger record missing from
 *              the file); else 0
 * The list's totals are of its open exceptions, each transaction's money
 * once (two exceptions of one transaction: the larger stake).
 */
#ifndef KASI_EXCEPTION_H
#define KASI_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum exception_age { AGE_0_1D, AGE_2_7D, AGE_8_30D, AGE_OVER_30D, AGE_UNKNOWN };
#define EXCEPTION_AGES 4 /* the buckets, AGE_UNKNOWN aside */

/* The bucket of an exception first seen at first_seen (ISO 8601 with an
 * offset, as the store writes it), at now (UTC seconds). */
enum exception_age exception_age_of(const char *first_seen, int64_t now);
/* "0-1d", "2-7d", "8-30d", ">30d", or "?" (a first_seen kasi cannot read). */
const char *exception_age_name(enum exception_age age);

/* "open", "resolved" or "cleared". */
const char *exception_status(const char *cleared_at, bool resolved);

/* The money at stake (cents, >= 0) into *cents: 0, or MONEY_ERANGE. */
int exception_at_stake(const struct store_exception *x, int64_t *cents);

/* The worklist: the exceptions a listing shows, by money at stake (most
 * first), then id; with counts and money by age bucket. */
struct exception_item {
	struct store_exception x; /* its strings in the list's arena */
	const char *status;
	enum exception_age age;
	int64_t at_stake;
};
struct exception_list {
	struct exception_item *items;
	size_t n, cap;
	struct exception_age_total {
		int64_t count, at_stake;
	} by_age[EXCEPTION_AGES + 1];		   /* the last: AGE_UNKNOWN */
	int64_t open, resolved, cleared, at_stake; /* at_stake: of the open ones */
	struct arena *strings;
};

/* The exceptions of period (NULL: every period) at now: the open ones, or
 * with all, resolved and cleared ones too. */
int exception_list_build(struct store *s, const char *period, bool all, int64_t now,
			 struct exception_list *l, struct err *e);
void exception_list_release(struct exception_list *l);

#endif
