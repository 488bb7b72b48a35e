/*
 * reasons.h — the one unpaid-reason vocabulary, loaded from
 * schemas/unpaid_reasons.csv (data, not code).
 */
#ifndef KASI_REASONS_H
#define KASI_REASONS_H

#include "core/err.h"
#include "io/schema.h"

#define REASON_NOT_RECEIVED "NOT_RECEIVED"
#define REASON_OTHER	    "OTHER"
#define REASON_TRACKING	    "TRACKING"

struct reasons;

/* Load DIR/unpaid_reasons.csv, validated by the set's unpaid_reasons
 * schema. -KASI_ECONFIG if either is missing or the file is invalid.
 * Freed with reasons_free. */
int reasons_load(struct reasons **out, const struct schema_set *set, struct err *e);
void reasons_free(struct reasons *r);

/* The normalised reason of a channel's raw reason: matched exactly, then
 * ignoring case and surrounding spaces; OTHER when not listed. The string
 * lives as long as r. */
const char *reasons_normalise(const struct reasons *r, const char *channel, const char *raw);

/* Whether the mapping marks the raw reason a dispute (the account holder
 * disputes the debit). */
bool reasons_is_dispute(const struct reasons *r, const char *channel, const char *raw);

/* Debit-order health's limits, from DIR/debit_limits.csv (validated by the
 * set's debit_limits schema): basis points of the final instructions. */
struct debit_limits {
	int64_t unpaids_bps, disputes_bps;
};
int reasons_limits_load(const struct schema_set *set, struct debit_limits *out, struct err *e);

#endif
