/*
 * outcome.h — a policy's outcome for a period, decided from its money
 * movements alone (whatever channels they came from).
 *
 *   CANCELLED     the policy's cancel date is on or before the period's last day
 *   PAID_FULL     collected >= expected - R0.01
 *   PAID_PARTIAL  0 < collected < expected - R0.01
 *   UNPAID        collected <= 0
 *
 * shortfall = expected - max(collected, 0) for PAID_PARTIAL and UNPAID,
 * else 0; the reason of an unpaid or partial policy is its latest
 * failure's, normalised, else NOT_RECEIVED. Collected above expected +
 * R0.01 on a policy not cancelled is PAID_FULL and an OVERPAYMENT.
 */
#ifndef KASI_OUTCOME_H
#define KASI_OUTCOME_H

#include "core/money.h"
#include "stage/match.h"
#include "stage/reasons.h"

enum outcome_status { PAID_FULL, PAID_PARTIAL, UNPAID, CANCELLED, OUTCOME_STATUS_COUNT };

const char *outcome_status_name(enum outcome_status s);

/* The status named name ("PAID_FULL"), or OUTCOME_STATUS_COUNT. */
enum outcome_status outcome_status_parse(const char *name);

/* A set of outcomes counted: by status, and their money. */
struct outcome_totals {
	int64_t policies;
	int64_t by_status[OUTCOME_STATUS_COUNT];
	int64_t expected, collected, shortfall, pending;
};

/* Count one outcome. Returns 0, or MONEY_ERANGE when a sum would pass
 * int64 cents (that sum left as it was). */
int outcome_totals_add(struct outcome_totals *t, enum outcome_status st, int64_t expected,
		       int64_t collected, int64_t shortfall, int64_t pending);

/* "expected E, collected C, shortfall S, pending P", as every summary and
 * explanation prints an outcome's money. */
#define OUTCOME_MONEY_BUFSZ (4 * MONEY_BUFSZ + 48)
void outcome_money_text(int64_t expected, int64_t collected, int64_t shortfall, int64_t pending,
			char out[OUTCOME_MONEY_BUFSZ]);

/* A policy's money in the period, summed from its movements. */
struct policy_money {
	int64_t collected, pending;
	int64_t last_fact; /* its latest collection (by date, then arrival); 0: none */
	int32_t last_day;
	bool overflow;	     /* a sum passed int64 cents: no outcome can be decided */
	int64_t overflow_at; /* the movement's fact that took it there */
};

/* Sum every movement into its policy's money: out[i] for matcher policy i
 * (calloc'd; the caller frees it). A sum that would pass int64 cents
 * marks that policy alone (overflow), and the others are decided as
 * usual. Returns 0, or -KASI_EIO. */
int outcome_tally(const struct matcher *m, struct policy_money **out, struct err *e);

/* Raise OVERPAYMENT for every scheduled policy, not cancelled, whose money
 * passes its expected premium by more than R0.01, at its latest
 * collection. Returns 0, or a lookup's failure. */
int outcome_overpayments(struct matcher *m, const struct policy_money *money);

/* Decide policy pol (scheduled, not overflowed) into *o. The strings in
 * *o live as long as m and reasons. */
enum outcome_status outcome_decide(const struct matcher *m, const struct reasons *reasons,
				   uint32_t pol, const struct policy_money *money,
				   struct store_outcome *o);

/* The rule that decided, in words, for explain. */
void outcome_rule_text(const struct matcher *m, const struct match_policy *p,
		       const struct policy_money *money, enum outcome_status st, char *rule,
		       size_t rule_size);

#endif
