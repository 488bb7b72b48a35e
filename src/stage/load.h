/*
 * load.h — loading reference data: products, the policy register, the
 * ledger (`kasi load`).
 *
 * A file is validated and upserted in one transaction: all of it or none
 * of it. Rows that pass the schema can still be refused here (a product
 * nobody loaded, a provider given two sets of payout details); those
 * errors join the validation report, and the file loads nothing.
 */
#ifndef KASI_LOAD_H
#define KASI_LOAD_H

#include "stage/validate.h"
#include "store/store.h"

enum load_kind { LOAD_PRODUCTS, LOAD_POLICIES, LOAD_LEDGER };

struct load_result {
	struct validation v;	       /* the report (valid or not) */
	bool rejected;		       /* errors: nothing was loaded */
	bool same_content;	       /* identical to a file loaded before: nothing to do */
	struct store_applied previous; /* that file, when same_content */
	uint64_t created, updated, unchanged;
};

/* "products", "policies", "ledger" -> the kind and its schema's name. */
int load_kind_from_name(const char *name, enum load_kind *kind);
const char *load_kind_schema(enum load_kind kind);

/* Load the file open on fd (from input_open; load_file closes it),
 * named path, by the operator `by` (recorded with each policy created or
 * changed: cmd_operator). Returns 0 when it was read to a verdict (see res), or a
 * negative status (-KASI_ENOINPUT, -KASI_EIO, -KASI_ELOCKED,
 * -KASI_ECONFIG) with a message in e; res->v is to be released either
 * way. */
int load_file(struct store *s, const struct schema *schema, enum load_kind kind, int fd,
	      const char *path, const char *by, struct load_result *res, struct err *e);

#endif
