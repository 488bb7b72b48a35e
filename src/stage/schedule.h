/*
 * schedule.h — the expected premiums of a period (`kasi schedule`).
 */
#ifndef KASI_SCHEDULE_H
#define KASI_SCHEDULE_H

#include "store/store.h"

struct schedule_result {
	bool already;		    /* scheduled before: nothing was changed */
	struct store_period before; /* when it was, if so */
	int64_t expected_before;    /* ... and the policies it expected */
	int64_t scheduled;	    /* policies scheduled by this call */
};

/* Snapshot the premium of every policy active in period "YYYY-MM" as its
 * expected amount, once: scheduling again changes nothing, and a change
 * to a policy afterwards never rewrites the period's expectations. */
int schedule_period(struct store *s, const char *period, struct schedule_result *res,
		    struct err *e);

#endif
