/*
 * run.h — the nightly job, end to end (`kasi run JOB [--date D]`).
 *
 *   1. the job's lock (ROOT/.lock, holding "PID JOB"): a second run of
 *      the job, or of another sharing its root, exits 75 at once, naming
 *      the job and the pid that hold it;
 *   2. fetch (fetch.h); a server that cannot be reached is logged, and
 *      what the inbox holds is processed all the same;
 *   3. every file in the inbox the job's pattern takes, in the order of
 *      the date in its name (what is not a regular file, or has a name no
 *      partner's file has, is left there and said, the run a 1), filed
 *      under its name, or NAME.1, NAME.2, ... when the folder holds one
 *      (its reports named after the name it is filed under):
 *        invalid          -> error/NAME, its validation report beside it
 *                            (error/NAME.errors.txt)
 *        valid            -> ingested (all or nothing); the periods its
 *                            facts fall in (and the one before, when
 *                            scheduled) scheduled and reconciled; their
 *                            reports rewritten in reports/; then
 *                            processed/NAME when the file raised no
 *                            discrepancy, else discrepancies/NAME with
 *                            NAME.discrepancies.csv beside it
 *   4. MISSING_FILE, once per job and date, for D and every earlier date
 *      since the job's first day (its first run's D, or yesterday when that
 *      run replayed an earlier date) whose deadline (the job's time of day,
 *      SAST, on the day after the date) has passed with no file of the
 *      job's schema dated so (the run that raises one exits 1; later runs
 *      count it as still missing);
 *   5. notify.
 *
 * A run killed at any point and started again finishes the work: a file
 * is moved out of the inbox only after its effects are committed, and a
 * file found applied before under its own name is that run's, met again
 * (its periods are reconciled and its reports written, nothing counted
 * twice).
 */
#ifndef KASI_RUN_H
#define KASI_RUN_H

#include <stdio.h>

#include "io/schema.h"
#include "stage/job.h"
#include "stage/reasons.h"
#include "store/store.h"

struct run_opts {
	int32_t day;	/* the day the run is for (a valid date, kasi's years) ... */
	bool day_given; /* ... or, when not given, yesterday, SAST */
	int64_t now;	/* the clock, UTC seconds: deadlines are passed or not by it */
	FILE *out;	/* one line per file, and the summary */
};

struct run_result {
	int status; /* the run's exit status */
	int fetched, files, clean, with_discrepancies, rejected;
	int missing, missing_new; /* dates still missing; of them, raised by this run */
	char day[16];
	char summary[512];
	char **reports; /* the paths written */
	size_t nreports;
};

/* Take the job's lock; its descriptor into *fd (held until closed).
 * -KASI_ELOCKED when another run holds it, naming its pid. */
int run_lock(const struct job *job, int *fd, struct err *e);

/* Run the job (its lock taken by the caller). Returns 0 with the verdict
 * in res (res->status), or a negative status when the run could not go
 * on (the store failed, the job's schema is not a channel's), with the
 * message in e. */
int run_job(struct store *s, const struct schema_set *schemas, const struct reasons *reasons,
	    const struct job *job, const struct run_opts *o, struct run_result *res, struct err *e);
void run_result_release(struct run_result *res);

/* Run the job's notify program, without a shell, with only KASI_JOB,
 * KASI_EXIT, KASI_SUMMARY, KASI_REPORTS (and a fixed PATH) in its
 * environment and no descriptor but 0, 1 and 2, in a process group of
 * its own; given timeout seconds (RUN_NOTIFY_TIMEOUT as a rule), after
 * which the whole group is killed. Its failure is logged, never fatal. */
#define RUN_NOTIFY_TIMEOUT 60
void run_notify(const struct job *job, const struct run_result *res, int timeout);

#endif
