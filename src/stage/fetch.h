/*
 * fetch.h — a job's pull of new files into its inbox (`kasi fetch JOB`).
 *
 * For each entry of the job's remote (or local) directory:
 *   - a name the pattern does not take is passed over (whatever it holds:
 *     it is not the job's); one it takes that holds '/', "..", a control
 *     character or bytes that are not UTF-8, that is longer than
 *     FETCH_NAME_MAX bytes, or that is not a regular file (a directory, a
 *     link), is refused, and said so;
 *   - a file fetched before (the same name, size and modification time)
 *     is not fetched again, even after it left the inbox;
 *   - else it is copied to a temporary name in the inbox (.NAME.part-PID),
 *     checked (all its listed bytes read, and the file still of its listed
 *     size and time once read: a file growing, cut or rewritten while it
 *     was read is not taken, and the next run fetches it again), synced,
 *     renamed into place, the inbox synced, and recorded as fetched; then
 *     the job's after_pull is done on the server (keep, delete, move);
 *   - a file that cannot be opened or read (gone since the listing,
 *     unreadable) is that file's failure: logged, counted, and the other
 *     files are fetched all the same. A server that fails or falls silent
 *     stops the pull.
 * A run cut short (a dropped connection, a kill) leaves no partial file
 * under a file's name (only a .NAME.part-PID, which the next `kasi run`
 * removes): the next run fetches it again. Every name in a message is
 * rendered by text_name: no server's name can break or rewrite a line.
 */
#ifndef KASI_FETCH_H
#define KASI_FETCH_H

#include "core/err.h"
#include "stage/job.h"
#include "store/store.h"

#define FETCH_NAMES_SHOWN 64

/* The longest name fetched, in bytes: kasi makes longer names from it
 * (.NAME.part-PID, NAME.errors.txt, NAME.discrepancies.csv, NAME.N), and
 * a file system takes 255 at most. */
#define FETCH_NAME_MAX	    200
#define FETCH_NAME_MAX_TEXT "200"

struct fetch_result {
	int fetched, known, refused, failed;
	/* The names fetched (the first FETCH_NAMES_SHOWN). */
	char (*names)[256];
	size_t nnames;
};

/* Create the job's root and its folders (inbox, processed, discrepancies,
 * error, reports; mode 0700) when they are missing. */
int fetch_prepare_root(const struct job *job, struct err *e);

/* Pull the job's new files (the job's lock taken by the caller). Returns 0
 * (res says what happened; a file that failed is res->failed, and its
 * message logged), or the job's
 * remote could not be reached or trusted (-KASI_EUNAVAILABLE), or the
 * store failed. */
int fetch_job(struct store *s, const struct job *job, struct fetch_result *res, struct err *e);
void fetch_result_release(struct fetch_result *res);

#endif
