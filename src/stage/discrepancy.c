/*
 * discrepancy.c — severities of the discrepancy codes (see discrepancy.h).
 */
#include "core/common.h"
#include "stage/discrepancy.h"

static const struct {
	const char *code, *severity;
} severities[] = {
	{ D_FILE_REJECTED, "error" },	      /* a whole file's money is missing */
	{ D_DUPLICATE_FILE, "info" },	      /* skipped; nothing counted twice */
	{ D_DUPLICATE_TRANSACTION, "info" },  /* ignored; nothing counted twice */
	{ D_CONFLICTING_DUPLICATE, "error" }, /* which version is right? */
	{ D_UNKNOWN_REFERENCE, "error" },     /* money nobody can be credited with */
	{ D_AMOUNT_MISMATCH, "error" },
	{ D_STATUS_MISMATCH, "error" },
	{ D_MISSING_FROM_FILE, "warning" },   /* ours says paid; the partner's file does not */
	{ D_MISSING_FROM_LEDGER, "warning" }, /* the partner's file counts */
	{ D_ORPHAN_REVERSAL, "error" },	      /* money taken back from nothing we know */
	{ D_OVERPAYMENT, "warning" },
	{ D_PAYMENT_ON_INACTIVE_POLICY, "warning" }, /* settled; a refund to arrange */
	{ D_OUT_OF_PERIOD, "warning" },
	{ D_MISSING_FILE, "error" },
};

const char *discrepancy_severity(const char *code)
{
	for (size_t i = 0; i < ARRAY_SIZE(severities); i++)
		if (!strcmp(severities[i].code, code))
			return severities[i].severity;
	return "error";
}
