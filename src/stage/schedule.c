/*
 * schedule.c — see schedule.h.
 */
#include "core/common.h"
#include "core/dates.h"
#include "stage/schedule.h"

int schedule_period(struct store *s, const char *period, struct schedule_result *res, struct err *e)
{
	int32_t p;
	memset(res, 0, sizeof(*res));
	if (period_parse(period, strlen(period), &p) != DATE_OK)
		return err_set(e, KASI_EUSAGE, "'%s' is not a period (YYYY-MM)", period);
	char name[PERIOD_BUFSZ], first[DATE_BUFSZ], last[DATE_BUFSZ];
	period_format(p, name);
	date_format_iso(period_first_day(p), first);
	date_format_iso(period_last_day(p), last);

	bool empty = false;
	int rc = store_begin(s, e);
	if (rc)
		return rc;
	int found = store_period_get(s, name, &res->before, e);
	if (found < 0) {
		rc = found;
	} else if (found) {
		res->already = true;
		rc = store_period_expected(s, name, &res->expected_before, e);
	} else if (!(rc = store_is_empty(s, STORE_POLICIES, &empty, e)) && empty) {
		/* A period scheduled is never scheduled again: scheduling it before
		 * the register is loaded would leave it expecting nothing, for good. */
		rc = err_set(
			e, KASI_ENOINPUT,
			"no policies loaded: load the register first (kasi load policies FILE); "
			"%s is not scheduled",
			name);
	} else if (!rc) {
		rc = store_schedule_period(s, name, first, last, &res->scheduled, e);
		if (!rc)
			return store_commit(s, e);
	}
	store_rollback(s);
	return rc;
}
