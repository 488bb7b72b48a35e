/*
 * void.h — withdrawing an applied file: `kasi void`.
 *
 * A partner sends a wrong file, then a corrected one. Voiding the wrong
 * one keeps it and its rows for the record, marked with who voided it,
 * when and why, and takes them out of everything that counts: no
 * reconciliation reads them, their transaction ids are free for the
 * corrected file, and the same bytes may be applied again. Every period
 * its rows could change is out of date until it is reconciled again; a
 * collection of it that a settlement paid over already is taken back by
 * the next settlement, once (reconcile.c, settle.c). All in one
 * transaction.
 *
 * A channel's file can be voided; a register (products, policies, our own
 * ledger) is corrected by loading it again, and a payout confirmation
 * file cannot be voided: it answers for money that left.
 */
#ifndef KASI_VOID_H
#define KASI_VOID_H

#include <stdint.h>

#include "core/dates.h"
#include "core/err.h"
#include "io/schema.h"
#include "store/store.h"

struct void_request {
	const char *name; /* the applied file's name, or NULL */
	int64_t file_id;  /* or its id (kasi status, kasi explain), when name is NULL */
	const char *by, *note;
	/* the schemas: a repeat decided again raises its discrepancy as
	 * ingest would (its reference shown by its schema's rules) */
	const struct schema_set *schemas;
};

#define VOID_PERIODS_MAX 64

struct void_summary {
	int64_t file_id;
	char name[512];
	struct store_void_result done;
	/* The reconciled periods it puts out of date (the first
	 * VOID_PERIODS_MAX, of nperiods). */
	char periods[VOID_PERIODS_MAX][PERIOD_BUFSZ];
	size_t nperiods;
};

/* Void the file. Returns 0, or -KASI_ENOINPUT (no applied file of that
 * name or id), -KASI_EDATA (voided already; a register or payout file;
 * a name that several applied files have: e lists their ids), or a store
 * failure, with a message in e. */
int void_file(struct store *s, const struct void_request *q, struct void_summary *out,
	      struct err *e);

#endif
