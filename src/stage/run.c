/*
 * run.c — the nightly job (see run.h).
 */
#include "core/common.h"
#include "core/clock.h"
#include "core/dates.h"
#include "core/log.h"
#include "core/text.h"
#include "io/input.h"
#include "stage/discrepancy.h"
#include "stage/fetch.h"
#include "stage/ingest.h"
#include "stage/period_report.h"
#include "stage/reconcile.h"
#include "stage/run.h"
#include "stage/schedule.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

/* How far back MISSING_FILE looks, at most, for a job that has not run
 * for a long time: a quarter is enough to say that files are missing. */
#define MISSING_DAYS_MAX 92
#define PERIODS_MAX	 16

/* ---- the lock ------------------------------------------------------------------------ */

/* The lock's content, "PID JOB\n", written by the run that holds it: a
 * job sharing the root with another is told which job holds it. A lock
 * written before it named its job holds the pid alone. */
static void lock_holder(int lock, char *pid, size_t pidsz, char *name, size_t namesz)
{
	char text[160] = "";
	ssize_t n = pread(lock, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	size_t p = strspn(text, "0123456789");
	snprintf(pid, pidsz, "%.*s", p ? (int)p : 7, p ? text : "unknown");
	const char *job = text + p + strspn(text + p, " ");
	size_t j = strspn(job, "abcdefghijklmnopqrstuvwxyz0123456789_-");
	snprintf(name, namesz, "%.*s", (int)j, job);
}

int run_lock(const struct job *job, int *fd, struct err *e)
{
	char path[PATH_MAX];
	*fd = -1;
	if (!path_join(path, sizeof(path), job->root, ".lock"))
		return err_set(e, KASI_ECONFIG, "the root '%s' is too long", job->root);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return err_sys(e, KASI_EIO, "cannot open the job's lock '%s'", path);
	if (flock(lock, LOCK_EX | LOCK_NB)) {
		char pid[32], holder[64];
		lock_holder(lock, pid, sizeof(pid), holder, sizeof(holder));
		close(lock);
		if (*holder && strcmp(holder, job->name))
			return err_set(
				e, KASI_ELOCKED,
				"a run of job %s holds the lock of the root it shares with job "
				"%s (%s, pid %s): job %s not started",
				holder, job->name, path, pid, job->name);
		return err_set(e, KASI_ELOCKED,
			       "another run of job %s holds its lock (%s, pid %s): not started",
			       job->name, path, pid);
	}
	char text[96];
	int n = snprintf(text, sizeof(text), "%ld %s\n", (long)getpid(), job->name);
	if (ftruncate(lock, 0) || pwrite(lock, text, (size_t)n, 0) != n) {
		close(lock);
		return err_sys(e, KASI_EIO, "cannot write the job's lock '%s'", path);
	}
	*fd = lock;
	return 0;
}

/* ---- files and folders --------------------------------------------------------------- */

/* Where inbox/name is filed in folder (processed, discrepancies, error):
 * under its own name, or name.1, name.2, ... when the folder has one
 * (a partner sent a file of that name again). Its reports beside it are
 * named after the name it is filed under, so they are found by it. */
static int filed_path(const struct job *job, const char *name, const char *folder, char *to,
		      size_t tosz, struct err *e)
{
	char dir[PATH_MAX];
	if (!path_join(dir, sizeof(dir), job->root, folder) || !path_join(to, tosz, dir, name))
		return err_set(e, KASI_EIO, "the path of %s is too long", name);
	for (int i = 1; access(to, F_OK) == 0; i++) {
		char alt[300];
		snprintf(alt, sizeof(alt), "%s.%d", name, i);
		if (!path_join(to, tosz, dir, alt))
			return err_set(e, KASI_EIO, "the path of %s is too long", name);
	}
	return 0;
}

/* Move inbox/name to the path filed_path gave (in folder). */
static int move_out(const struct job *job, const char *name, const char *folder, const char *to,
		    struct err *e)
{
	char from[PATH_MAX], inbox[PATH_MAX], dir[PATH_MAX];
	if (!path_join(inbox, sizeof(inbox), job->root, "inbox") ||
	    !path_join(dir, sizeof(dir), job->root, folder) ||
	    !path_join(from, sizeof(from), inbox, name))
		return err_set(e, KASI_EIO, "the path of %s is too long", name);
	if (rename(from, to))
		return err_sys(e, KASI_EIO, "cannot move %s to %s/", name, folder);
	int rc = input_sync_dir(dir, e);
	return rc ? rc : input_sync_dir(inbox, e);
}

/* Whether name ends in tag followed by a pid ("x.tmp-123"). */
static bool ends_in_pid(const char *name, const char *tag)
{
	size_t n = strlen(tag);
	for (const char *at = strstr(name, tag); at; at = strstr(at + 1, tag))
		if (at[n] && strspn(at + n, "0123456789") == strlen(at + n))
			return true;
	return false;
}

/* What a run killed mid-way leaves in the job's folders: a report's
 * temporary (NAME.tmp-PID) and a download's (.NAME.part-PID, or
 * .NAME.part from before downloads named their pid). With the job's lock
 * held no other run or fetch of the job is writing them: they are
 * removed. */
static bool leftover(const char *name)
{
	if (ends_in_pid(name, ".tmp-"))
		return true;
	size_t n = strlen(name);
	return name[0] == '.' && n > 6 &&
	       (!strcmp(name + n - 5, ".part") || ends_in_pid(name + 1, ".part-"));
}

static void clean_leftovers(const struct job *job)
{
	static const char *const dirs[] = { "inbox", "processed", "discrepancies", "error",
					    "reports" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char dir[PATH_MAX], path[PATH_MAX];
		if (!path_join(dir, sizeof(dir), job->root, dirs[i]))
			continue;
		DIR *d = opendir(dir);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (leftover(de->d_name) &&
			    path_join(path, sizeof(path), dir, de->d_name) && unlink(path) == 0)
				log_info("%s: removed %s, left by a run cut short", job->name,
					 path);
		if (d)
			closedir(d);
	}
}

/* ---- one run ------------------------------------------------------------------------- */

/* A set of periods ("YYYY-MM"), in order. */
struct periods {
	char p[PERIODS_MAX][PERIOD_BUFSZ];
	const char *ptr[PERIODS_MAX];
	size_t n;
};

static bool periods_has(const struct periods *ps, const char *period)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i], period))
			return true;
	return false;
}

static void periods_drop(struct periods *ps, const char *period)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i], period)) {
			memmove(ps->p[i], ps->p[i + 1], (ps->n - i - 1) * sizeof(ps->p[0]));
			ps->n--;
			break;
		}
	for (size_t k = 0; k < ps->n; k++)
		ps->ptr[k] = ps->p[k];
}

static void periods_add(struct periods *ps, int32_t period)
{
	char text[PERIOD_BUFSZ];
	period_format(period, text);
	size_t i = 0;
	while (i < ps->n && strcmp(ps->p[i], text) < 0)
		i++;
	if ((i < ps->n && !strcmp(ps->p[i], text)) || ps->n == PERIODS_MAX)
		return;
	memmove(ps->p[i + 1], ps->p[i], (ps->n - i) * sizeof(ps->p[0]));
	memcpy(ps->p[i], text, sizeof(text));
	ps->n++;
	for (size_t k = 0; k < ps->n; k++)
		ps->ptr[k] = ps->p[k];
}

struct run {
	struct store *s;
	const struct schema_set *schemas;
	const struct reasons *reasons;
	const struct schema *schema;
	const struct job *job;
	const struct run_opts *o;
	struct run_result *res;
	struct err *e;
	struct periods reported; /* reports written, and no reconcile since */
};

/* One line of the run's account on its output, stamped as the log is. */
static void say(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct run *r, const char *fmt, ...)
{
	char prefix[96], line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_prefix(prefix, sizeof(prefix));
	fprintf(r->o->out, "%s: %s\n", prefix, line);
	fflush(r->o->out);
}

static void worsen(struct run_result *res, int status)
{
	res->status = kasi_worse(res->status, status);
}

static void add_report(struct run_result *res, const char *path)
{
	for (size_t i = 0; i < res->nreports; i++)
		if (!strcmp(res->reports[i], path))
			return;
	char **grown = realloc(res->reports, (res->nreports + 1) * sizeof(*grown));
	char *copy = strdup(path);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			res->reports = grown;
		return;
	}
	res->reports = grown;
	res->reports[res->nreports++] = copy;
}

/* Write the period's reports into reports/: its discrepancies always,
 * its outcomes when it is reconciled and current. */
static int period_reports(struct run *r, const char *period)
{
	struct err *e = r->e;
	struct store_period sp;
	int found = store_period_get(r->s, period, &sp, e);
	if (found < 0)
		return found;
	bool current = found && *sp.reconciled_at && !sp.files_since_reconciled;
	char dir[PATH_MAX], name[64], path[PATH_MAX], final[PATH_MAX];
	if (!path_join(dir, sizeof(dir), r->job->root, "reports"))
		return err_set(e, KASI_EIO, "the root '%s' is too long", r->job->root);
	for (int outcomes = 0; outcomes < 2; outcomes++) {
		if (outcomes && !current)
			break;
		snprintf(name, sizeof(name), "%s_%s.csv", outcomes ? "outcomes" : "discrepancies",
			 period);
		if (!path_join(path, sizeof(path), dir, name))
			return err_set(e, KASI_EIO, "the root '%s' is too long", r->job->root);
		struct report *rep;
		int rc = report_open(&rep, path, false, final, sizeof(final), e);
		if (rc)
			return rc;
		struct outcome_totals ot;
		struct discrepancy_counts dc;
		rc = outcomes ? period_report_outcomes(r->s, period, rep, &ot, e)
			      : period_report_discrepancies(r->s, &period, 1, 0, r->o->now, rep,
							    &dc, e);
		if (rc) {
			report_abort(rep);
			return rc;
		}
		if ((rc = report_close(rep, e)))
			return rc;
		add_report(r->res, final);
		log_debug("%s: wrote %s", r->job->name, final);
	}
	int32_t p;
	if (period_parse(period, strlen(period), &p) == DATE_OK)
		periods_add(&r->reported, p);
	return 0;
}

/* Schedule (once) and reconcile a period the file touched. */
static int reconcile(struct run *r, const char *period)
{
	struct schedule_result sr;
	int64_t t0 = clock_us();
	int rc = schedule_period(r->s, period, &sr, r->e);
	struct reconcile_summary sum;
	struct reconcile_opts opts = { .write = true };
	if (!rc)
		rc = reconcile_period(r->s, r->schemas, r->reasons, period, &opts, &sum, r->e);
	if (rc)
		return rc;
	periods_drop(&r->reported, period);
	log_debug("%s: reconciled %s in %" PRId64 " ms: %" PRId64 " policies, %" PRId64
		  " discrepancies",
		  r->job->name, period, (clock_us() - t0) / 1000, sum.outcomes.policies, sum.total);
	if (sum.overflowed) {
		log_error("%s: %s row %" PRIu64 " takes policy %s's money past what kasi can count "
			  "(int64 cents) in %s: its outcome is not recorded",
			  r->job->name, sum.overflow_file, sum.overflow_row, sum.overflow_policy,
			  period);
		worsen(r->res, KASI_EDATA);
	}
	return 0;
}

/* The periods a file's effects fall in: those of its facts and of its
 * name's date, and the one before them when it was scheduled (a late
 * unpaid reverses a debit of the month before). */
static int touched_periods(struct run *r, const struct ingest_result *ir, struct periods *ps)
{
	if (ir->dated)
		periods_add(ps, period_of_date(ir->file_date));
	if (ir->any_day && r->schema->flow.type != FLOW_PAYOUTS) {
		int32_t first = period_of_date(ir->first_day), last = period_of_date(ir->last_day);
		for (int32_t p = first; p <= last && ps->n < PERIODS_MAX; p++)
			periods_add(ps, p);
	}
	if (!ps->n)
		return 0;
	int32_t before;
	period_parse(ps->p[0], strlen(ps->p[0]), &before);
	char text[PERIOD_BUFSZ];
	period_format(before - 1, text);
	struct store_period sp;
	int found = store_period_get(r->s, text, &sp, r->e);
	if (found > 0)
		periods_add(ps, before - 1);
	return found < 0 ? found : 0;
}

/* The file's own discrepancies (the store's row file_id), across the
 * periods it touched, beside it as filed: filed.discrepancies.csv
 * (written when it has any); their count into *n. */
static int file_report(struct run *r, const char *filed, int64_t file_id, const struct periods *ps,
		       int64_t *n)
{
	char path[PATH_MAX], final[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s.discrepancies.csv", filed) >= (int)sizeof(path))
		return err_set(r->e, KASI_EIO, "the root '%s' is too long", r->job->root);
	struct report *rep;
	int rc = report_open(&rep, path, false, final, sizeof(final), r->e);
	struct discrepancy_counts dc = { 0 };
	if (!rc)
		rc = period_report_discrepancies(r->s, ps->ptr, ps->n, file_id, r->o->now, rep, &dc,
						 r->e);
	*n = dc.rows;
	if (rc || !dc.rows) {
		report_abort(rep);
		return rc;
	}
	if ((rc = report_close(rep, r->e)))
		return rc;
	add_report(r->res, final);
	return 0;
}

/* An invalid file's validation report, beside it as filed in error/:
 * filed.errors.txt. */
static int error_report(struct run *r, const char *filed, const struct validation *v)
{
	char path[PATH_MAX], final[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s.errors.txt", filed) >= (int)sizeof(path))
		return err_set(r->e, KASI_EIO, "the root '%s' is too long", r->job->root);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return err_set(r->e, KASI_EIO, "out of memory");
	validation_print_text(v, mem);
	if (fclose(mem)) {
		free(text);
		return err_set(r->e, KASI_EIO, "out of memory");
	}
	struct report *rep;
	int rc = report_open(&rep, path, false, final, sizeof(final), r->e);
	if (!rc && (rc = report_text(rep, text, len, r->e)))
		report_abort(rep);
	else if (!rc)
		rc = report_close(rep, r->e);
	free(text);
	if (!rc)
		add_report(r->res, final);
	return rc;
}

/* A file filed at to (found: its discrepancies) after ms, counted and
 * said. */
static void filed(struct run *r, const char *name, const struct ingest_result *ir, int64_t found,
		  const char *to, int64_t ms)
{
	struct run_result *res = r->res;
	res->files++;
	/* A file of a name sent before is filed under another: said. */
	const char *base = strrchr(to, '/') ? strrchr(to, '/') + 1 : to;
	char as[300] = "";
	if (strcmp(base, name))
		snprintf(as, sizeof(as), " as %.*s", (int)(sizeof(as) - 5), base);
	const char *what = ir->outcome == INGEST_REJECTED	  ? "rejected"
			   : ir->outcome == INGEST_DUPLICATE_FILE ? "a duplicate"
			   : ir->outcome == INGEST_APPLIED_BEFORE ? "applied before (resumed)"
								  : "applied";
	if (ir->outcome == INGEST_REJECTED) {
		res->rejected++;
		worsen(res, KASI_EDATA);
		say(r, "%s: %s: rejected: %" PRIu64 " validation %s; moved to error/%s",
		    r->job->name, name, ir->v.nerrors, ir->v.nerrors == 1 ? "error" : "errors", as);
	} else if (found) {
		res->with_discrepancies++;
		worsen(res, KASI_FINDINGS);
		say(r, "%s: %s: %s: %" PRIu64 " %s, %" PRId64 " %s; moved to discrepancies/%s",
		    r->job->name, name, what, ir->v.rows, ir->v.rows == 1 ? "row" : "rows", found,
		    found == 1 ? "discrepancy" : "discrepancies", as);
	} else {
		res->clean++;
		say(r, "%s: %s: %s: %" PRIu64 " %s, no discrepancy; moved to processed/%s",
		    r->job->name, name, what, ir->v.rows, ir->v.rows == 1 ? "row" : "rows", as);
	}
	log_info("%s: %s %s in %" PRId64 " ms -> %s", r->job->name, name, what, ms, to);
}

/* One file of the inbox, from validation to its folder. */
static int process_file(struct run *r, const char *name)
{
	struct run_result *res = r->res;
	char path[PATH_MAX], inbox[PATH_MAX], to[PATH_MAX];
	if (!path_join(inbox, sizeof(inbox), r->job->root, "inbox") ||
	    !path_join(path, sizeof(path), inbox, name))
		return err_set(r->e, KASI_EIO, "the path of %s is too long", name);
	int64_t t0 = clock_us();
	int fd;
	int rc = input_open_nofollow(path, &fd, r->e);
	struct stat st;
	if (rc == -KASI_ENOINPUT && lstat(path, &st) == 0) {
		/* Turned into something else since the inbox was listed. */
		log_warn("%s: %s: left in the inbox", r->job->name, r->e->msg);
		worsen(res, KASI_FINDINGS);
	}
	if (rc)
		return rc == -KASI_ENOINPUT ? 0 : rc; /* gone meanwhile: nothing to do */
	struct ingest_result ir;
	char label[400];
	snprintf(label, sizeof(label), "%s: %s", r->job->name, name);
	log_progress_begin(label);
	/* Named by its name alone: its messages and reports stay true once
	 * it is filed away. */
	rc = ingest_file_resuming(r->s, r->schema, fd, name, &ir, r->e);
	log_progress_end();
	struct periods ps = { 0 };
	int64_t found = 0;
	const char *folder = "processed";
	if (!rc && ir.outcome == INGEST_REJECTED) {
		if (ir.dated)
			periods_add(&ps, period_of_date(ir.file_date));
		folder = "error";
		if (!(rc = filed_path(r->job, name, folder, to, sizeof(to), r->e)))
			rc = error_report(r, to, &ir.v);
	} else if (!rc) {
		rc = touched_periods(r, &ir, &ps);
		for (size_t i = 0; !rc && i < ps.n; i++)
			if (ir.outcome != INGEST_DUPLICATE_FILE &&
			    r->schema->flow.type != FLOW_PAYOUTS)
				rc = reconcile(r, ps.p[i]);
		if (!rc)
			rc = filed_path(r->job, name, "discrepancies", to, sizeof(to), r->e);
		if (!rc)
			rc = file_report(r, to, ir.file_id, &ps, &found);
		if (found)
			folder = "discrepancies";
		else if (!rc)
			rc = filed_path(r->job, name, folder, to, sizeof(to), r->e);
	}
	for (size_t i = 0; !rc && i < ps.n; i++)
		rc = period_reports(r, ps.p[i]);
	if (!rc)
		rc = move_out(r->job, name, folder, to, r->e);
	if (rc) {
		ingest_result_release(&ir);
		return rc;
	}
	filed(r, name, &ir, found, to, (clock_us() - t0) / 1000);
	ingest_result_release(&ir);
	return 0;
}

/* ---- the inbox ------------------------------------------------------------------------- */

struct inbox_file {
	char name[256];
	int32_t date; /* the date in its name; INT32_MAX: none */
};

static int by_date(const void *a, const void *b)
{
	const struct inbox_file *x = a, *y = b;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Whether the job takes inbox/name, a name not hidden. One that the
 * pattern passes over is left alone, silently. One that cannot be a
 * partner's (a control character, bytes that are not UTF-8, '..'), or
 * that is not a regular file (a symbolic link is never followed: it
 * could take in any file of the machine; a named pipe is never opened),
 * is left in place and said once a run, safely rendered: the night is a
 * 1 until someone looks. */
static bool inbox_takes(struct run *r, struct regex_matcher *m, const char *inbox, const char *name)
{
	char shown[TEXT_RENDER_BUFSZ], path[PATH_MAX];
	bool unsafe;
	struct stat st;
	if (job_takes_name(r->job, m, name, &unsafe) && strlen(name) < 256) {
		if (!path_join(path, sizeof(path), inbox, name) || lstat(path, &st) ||
		    S_ISREG(st.st_mode))
			return true; /* (what cannot be looked at is said when opened) */
		log_warn("%s: inbox/%s is %s, not a regular file: left in place, not processed",
			 r->job->name, text_value(name, shown), input_kind(st.st_mode));
		worsen(r->res, KASI_FINDINGS);
	} else if (unsafe) {
		log_warn("%s: inbox/%s: a name no partner's file has (a control character, bytes "
			 "that are not UTF-8, or '..'): left in place, not processed",
			 r->job->name, text_value(name, shown));
		worsen(r->res, KASI_FINDINGS);
	}
	return false;
}

/* The inbox's files the job takes, in date order. */
static int list_inbox(struct run *r, struct inbox_file **out, size_t *n)
{
	char inbox[PATH_MAX];
	*out = NULL;
	*n = 0;
	if (!path_join(inbox, sizeof(inbox), r->job->root, "inbox"))
		return err_set(r->e, KASI_EIO, "the root '%s' is too long", r->job->root);
	DIR *d = opendir(inbox);
	if (!d)
		return err_sys(r->e, KASI_EIO, "cannot list '%s'", inbox);
	struct regex_matcher *m = regex_matcher_new();
	struct inbox_file *files = NULL;
	size_t cap = 0;
	int rc = m ? 0 : err_set(r->e, KASI_EIO, "out of memory");
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !inbox_takes(r, m, inbox, de->d_name))
			continue; /* temporary files, the lock, what is not the job's */
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct inbox_file *grown = realloc(files, cap * sizeof(*files));
			if (!grown) {
				rc = err_set(r->e, KASI_EIO, "out of memory");
				break;
			}
			files = grown;
		}
		struct inbox_file *f = &files[(*n)++];
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		int32_t date;
		f->date = schema_match_name(r->schema, m, f->name, &date) == SCHEMA_NAME_MATCH &&
					  r->schema->file_dated
				  ? date
				  : INT32_MAX;
	}
	closedir(d);
	regex_matcher_free(m);
	if (rc) {
		free(files);
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(files, *n, sizeof(*files), by_date);
	*out = files;
	return 0;
}

/* ---- missing files ----------------------------------------------------------------------- */

/* MISSING_FILE for each date from the job's first through the run's day
 * whose deadline has passed without a file: raised once (the run that
 * raises it exits 1; a date raised before is counted as still missing,
 * and the night is not worse for it). The periods of those raised now get
 * their reports rewritten once, at the end.
 *
 * The job's first day is its first run's, set by that run: its day, or
 * when it replays an earlier date, yesterday by the clock (the day a run
 * without --date is for). No later run moves it: a replay of a date
 * before it processes that date's files and raises nothing for the days
 * before the job ran. */
static int check_missing(struct run *r, int32_t day)
{
	struct periods raised_in = { 0 };
	char text[DATE_BUFSZ], first_text[16] = "";
	int32_t yesterday = date_business_of(r->o->now) - 1;
	date_format_iso(day > yesterday ? day : yesterday, text);
	int rc = store_job_first_day(r->s, r->job->name, text, first_text, r->e);
	int32_t first = day;
	if (!rc && *first_text)
		date_parse(first_text, strlen(first_text), DATE_FMT_ISO, &first);
	if (first < day - MISSING_DAYS_MAX)
		first = day - MISSING_DAYS_MAX;
	for (int32_t d = first; !rc && d <= day; d++) {
		int64_t deadline = ((int64_t)d + 1) * 86400 + r->job->deadline_minutes * 60 -
				   SAST_OFFSET_SECONDS;
		date_format_iso(d, text);
		char period[PERIOD_BUFSZ], expected[64], actual[64], detail[256];
		period_format(period_of_date(d), period);
		snprintf(expected, sizeof(expected), "a file dated %s", text);
		int arrived = store_file_arrived(r->s, r->schema->name, text, r->e);
		if (arrived < 0)
			return arrived;
		if (arrived) {
			/* Come after all: its MISSING_FILE is no problem to work now. */
			int cleared = store_exception_clear(r->s, period, D_MISSING_FILE,
							    r->schema->channel, expected, r->e);
			if (cleared < 0)
				return cleared;
			continue;
		}
		char due[DATE_BUFSZ];
		date_format_iso(d + 1, due);
		if (r->o->now < deadline) {
			log_info("%s: no %s file dated %s yet; it is due by %s %02d:%02d SAST",
				 r->job->name, r->schema->name, text, due,
				 r->job->deadline_minutes / 60, r->job->deadline_minutes % 60);
			continue;
		}
		snprintf(actual, sizeof(actual), "none by %s %02d:%02d SAST", due,
			 r->job->deadline_minutes / 60, r->job->deadline_minutes % 60);
		snprintf(
			detail, sizeof(detail),
			"job %s: no %s file dated %s had arrived by its deadline, %s %02d:%02d SAST",
			r->job->name, r->schema->name, text, due, r->job->deadline_minutes / 60,
			r->job->deadline_minutes % 60);
		struct store_discrepancy disc = {
			.period = period,
			.code = D_MISSING_FILE,
			.severity = discrepancy_severity(D_MISSING_FILE),
			.channel = r->schema->channel,
			.expected = expected,
			.actual = actual,
			.detail = detail,
			.source = "ingest",
		};
		int raised = store_job_missing(r->s, r->job->name, text, &disc, r->e);
		if (raised < 0)
			return raised;
		r->res->missing++;
		if (raised) {
			r->res->missing_new++;
			worsen(r->res, KASI_FINDINGS);
			periods_add(&raised_in, period_of_date(d));
			say(r, "%s: MISSING_FILE: no file dated %s by %s %02d:%02d SAST",
			    r->job->name, text, due, r->job->deadline_minutes / 60,
			    r->job->deadline_minutes % 60);
		}
	}
	for (size_t i = 0; !rc && i < raised_in.n; i++)
		rc = period_reports(r, raised_in.p[i]);
	return rc;
}

/* ---- the run --------------------------------------------------------------------------- */

int run_job(struct store *s, const struct schema_set *schemas, const struct reasons *reasons,
	    const struct job *job, const struct run_opts *o, struct run_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	struct run r = { .s = s,
			 .schemas = schemas,
			 .reasons = reasons,
			 .job = job,
			 .o = o,
			 .res = res,
			 .e = e };
	int32_t day = o->day_given ? o->day : date_business_of(o->now) - 1;
	int rc = 0;
	date_format_iso(day, res->day);
	log_info("%s: run for %s started (pid %ld)", job->name, res->day, (long)getpid());
	if ((rc = job_schema(job, schemas, &r.schema, e)))
		return rc;

	clean_leftovers(job);
	struct fetch_result fr;
	struct err fe = { 0 };
	rc = fetch_job(s, job, &fr, &fe);
	res->fetched = fr.fetched;
	fetch_result_release(&fr);
	if (rc == -KASI_EUNAVAILABLE) {
		/* What the inbox holds is still processed. */
		log_error("%s: %s", job->name, fe.msg);
		worsen(res, KASI_EUNAVAILABLE);
	} else if (rc) {
		return err_set(e, -rc, "%s", fe.msg);
	}
	if (fr.refused || fr.failed)
		worsen(res, KASI_FINDINGS);

	struct inbox_file *files;
	size_t n;
	if ((rc = list_inbox(&r, &files, &n)))
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		rc = process_file(&r, files[i].name);
	free(files);
	if (!rc)
		rc = check_missing(&r, day);
	/* Finance gets the day's period as it stands, even from a night
	 * that brought nothing (written once: a file's reports are current
	 * until another file's reconcile). */
	char period[PERIOD_BUFSZ];
	period_format(period_of_date(day), period);
	if (!rc && !periods_has(&r.reported, period))
		rc = period_reports(&r, period);
	if (rc)
		return rc;
	snprintf(res->summary, sizeof(res->summary),
		 "%s %s: %d fetched, %d %s processed (%d clean, %d with discrepancies, %d "
		 "rejected), %d %s missing (%d raised now); exit %d",
		 job->name, res->day, res->fetched, res->files, res->files == 1 ? "file" : "files",
		 res->clean, res->with_discrepancies, res->rejected, res->missing,
		 res->missing == 1 ? "date" : "dates", res->missing_new, res->status);
	return 0;
}

void run_result_release(struct run_result *res)
{
	for (size_t i = 0; i < res->nreports; i++)
		free(res->reports[i]);
	free(res->reports);
	res->reports = NULL;
	res->nreports = 0;
}

/* ---- notify ------------------------------------------------------------------------------ */

/* In the child: notify in a process group of its own, with standard
 * input from /dev/null, kasi's other descriptors closed (a store, a
 * lock, or a descriptor cron or flock(1) handed kasi, which a program
 * left running would keep open), and the signals kasi ignores back to
 * their defaults. */
static _Noreturn void notify_exec(const char *path, char *const argv[], char *const envp[])
{
	setpgid(0, 0);
	signal(SIGXFSZ, SIG_DFL);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != STDIN_FILENO)
		dup2(null, STDIN_FILENO);
	if (close_range(3, ~0U, 0)) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
	}
	execve(path, argv, envp);
	_exit(127);
}

void run_notify(const struct job *job, const struct run_result *res, int timeout)
{
	if (!*job->notify)
		return;
	size_t len = 0;
	for (size_t i = 0; i < res->nreports; i++)
		len += strlen(res->reports[i]) + 1;
	char *reports = calloc(1, len + 1), *at = reports;
	char env_job[96], env_exit[32], env_summary[600];
	if (!reports) {
		log_error("%s: notify not run: out of memory", job->name);
		return;
	}
	for (size_t i = 0; i < res->nreports; i++) {
		size_t n = strlen(res->reports[i]);
		if (i)
			*at++ = '\n';
		memcpy(at, res->reports[i], n);
		at += n;
	}
	char *env_reports = NULL;
	if (asprintf(&env_reports, "KASI_REPORTS=%s", reports) < 0)
		env_reports = NULL;
	free(reports);
	snprintf(env_job, sizeof(env_job), "KASI_JOB=%s", job->name);
	snprintf(env_exit, sizeof(env_exit), "KASI_EXIT=%d", res->status);
	snprintf(env_summary, sizeof(env_summary), "KASI_SUMMARY=%s", res->summary);
	char *const envp[] = {
		env_job, env_exit, env_summary, env_reports, "PATH=/usr/local/bin:/usr/bin:/bin",
		NULL
	};
	char *const argv[] = { (char *)job->notify, NULL };
	if (!env_reports) {
		log_error("%s: notify not run: out of memory", job->name);
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		notify_exec(job->notify, argv, envp);
	free(env_reports);
	if (pid < 0) {
		log_error("%s: notify not run: %s", job->name, strerror(errno));
		return;
	}
	/* Its own process group, made on both sides so that neither order of
	 * the two wins a race: the group is what a timeout kills. */
	setpgid(pid, pid);
	int status = 0;
	pid_t done = 0;
	for (int waited = 0; waited < timeout * 10 && !(done = waitpid(pid, &status, WNOHANG));
	     waited++)
		poll(NULL, 0, 100);
	if (done == 0) {
		/* Whatever it started goes with it: a mailer left behind would
		 * hold the night's output open. */
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		log_error("%s: notify %s did not finish in %d s: killed, with what it started",
			  job->name, job->notify, timeout);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("%s: notified %s", job->name, job->notify);
	} else {
		log_warn("%s: notify %s failed (%s %d)", job->name, job->notify,
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
}
