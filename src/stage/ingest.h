/*
 * ingest.h — a channel's daily file into the store, all or nothing
 * (`kasi ingest`).
 */
#ifndef KASI_INGEST_H
#define KASI_INGEST_H

#include "stage/validate.h"
#include "store/store.h"

enum ingest_outcome {
	INGEST_APPLIED,	       /* every row is a stored fact now */
	INGEST_REJECTED,       /* invalid: nothing loaded; FILE_REJECTED recorded */
	INGEST_DUPLICATE_FILE, /* applied before: nothing loaded; DUPLICATE_FILE recorded */
	INGEST_APPLIED_BEFORE, /* resuming: applied before under this name; nothing done */
};

/* A discrepancy the file raised, for the command's report. */
struct ingest_note {
	char code[32];
	uint64_t row;
	char transaction_id[128];
	char detail[1024];
};

#define INGEST_NOTES_SHOWN 100

struct ingest_result {
	struct validation v; /* the validation report */
	enum ingest_outcome outcome;
	int64_t file_id; /* its row in the store (applied before: that one's); 0: none */
	struct store_applied previous; /* the file it duplicates */
	uint64_t facts;		       /* rows stored and counted */
	uint64_t duplicates;	       /* DUPLICATE_TRANSACTION: stored, not counted */
	uint64_t conflicts;	       /* CONFLICTING_DUPLICATE: stored, not counted */
	uint64_t out_of_period;	       /* OUT_OF_PERIOD: stored and counted */
	uint64_t discrepancies;	       /* all of the above, and file-level ones */
	struct ingest_note *notes;     /* the first INGEST_NOTES_SHOWN */
	/* The business dates the file's facts span (valid files), and the
	 * date in its name, as days. */
	bool any_day, dated;
	int32_t first_day, last_day, file_date;
	size_t nnotes;
};

/* Ingest the file open on fd (from input_open; ingest_file closes it),
 * named path, whose schema is a channel's. Returns 0 with a verdict in
 * res, or a negative status (-KASI_ENOINPUT, -KASI_EIO, -KASI_ELOCKED,
 * -KASI_ECONFIG for a schema that is not a channel's). Release res with
 * ingest_result_release either way. */
int ingest_file(struct store *s, const struct schema *schema, int fd, const char *path,
		struct ingest_result *res, struct err *e);
/* As ingest_file, for a run that may be resuming one cut short: content
 * applied before under this very name (the base name of path) is that
 * run's file met again, INGEST_APPLIED_BEFORE, and nothing is recorded.
 * The same content under another name is still a DUPLICATE_FILE. */
int ingest_file_resuming(struct store *s, const struct schema *schema, int fd, const char *path,
			 struct ingest_result *res, struct err *e);
void ingest_result_release(struct ingest_result *res);

#endif
