/*
 * fetch.h — a job's pull of new files into its inbox (`kasi fetch JOB`).
 *
 * For each entry of the job's remote (or local) directory:
 *   - a name the pattern does not take is passed over; one it takes that
 *     holds '/', "..", NUL or a control character, or that is not a
 *     regular file (a directory, a link), is refused, and said so;
 *   - a file fetched before (the same name, size and modification time)
 *     is not fetched again, even after it left the inbox;
 *   - else it is copied to a temporary name in the inbox (.NAME.part),
 *     its size checked against the listing (a file growing or cut while
 *     it was read is not taken: the next run fetches it again), synced,
 *     renamed into place, the inbox synced, and recorded as fetched; then
 *     the job's after_pull is done on the server (keep, delete, move).
 * A run cut short (a dropped connection, a kill) leaves no partial file
 * under a file's name: the next run fetches it again.
 */
#ifndef KASI_FETCH_H
#define KASI_FETCH_H

#include "core/err.h"
#include "stage/job.h"
#include "store/store.h"

#define FETCH_NAMES_SHOWN 64

struct fetch_result {
	int fetched, known, refused, failed;
	/* The names fetched (the first FETCH_NAMES_SHOWN). */
	char (*names)[256];
	size_t nnames;
};

/* Create the job's root and its folders (inbox, processed, discrepancies,
 * error, reports; mode 0700) when they are missing. */
int fetch_prepare_root(const struct job *job, struct err *e);

/* Pull the job's new files. Returns 0 (res says what happened; a file
 * that failed is res->failed, and its message logged), or the job's
 * remote could not be reached or trusted (-KASI_EUNAVAILABLE), or the
 * store failed. */
int fetch_job(struct store *s, const struct job *job, struct fetch_result *res, struct err *e);
void fetch_result_release(struct fetch_result *res);

#endif
