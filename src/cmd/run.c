/*
 * run.c — `kasi run JOBFILE [--date YYYY-MM-DD]`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/dates.h"
#include "core/json.h"
#include "core/log.h"
#include "stage/fetch.h"
#include "stage/run.h"

#include <getopt.h>

static int cmd_run_fn(int argc, char **argv, struct kasi_ctx *ctx);
static void print_json_stopped(int status, const char *why);

const struct command cmd_run = {
	.name = "run",
	.fn = cmd_run_fn,
	.flags = CMD_NEEDS_DB | CMD_JOB_LOG,
	.usage = "kasi run JOBFILE [--date YYYY-MM-DD] [--json]",
	.summary = "the nightly job: fetch, validate, ingest, reconcile, report, file away",
	.help = "usage: kasi run JOBFILE [--date YYYY-MM-DD] [--json]\n"
		"\n"
		"Run the job JOBFILE describes (jobs/README.md) for the day D (--date,\n"
		"a date of the years 2000 to 2999; default yesterday, SAST), end to end:\n"
		"\n"
		"  1. take the job's lock (ROOT/.lock): a second run of the same job, or\n"
		"     of a job sharing its root, exits 75 at once, naming the job and the\n"
		"     pid that hold it;\n"
		"  2. fetch the job's new files into ROOT/inbox (see 'kasi help fetch');\n"
		"     a server that cannot be reached is an error, and what the inbox\n"
		"     holds is processed all the same;\n"
		"  3. each regular file of the inbox, in the order of the date in its\n"
		"     name (a link, a folder, a pipe or a name no partner sends is left\n"
		"     in place and said: exit 1):\n"
		"       invalid    -> ROOT/error/, with NAME.errors.txt (the validation\n"
		"                     report) beside it; FILE_REJECTED is recorded\n"
		"       valid      -> ingested, all or nothing; the periods its facts fall\n"
		"                     in (and the month before, when scheduled) are\n"
		"                     scheduled and reconciled, and their reports\n"
		"                     rewritten in ROOT/reports/ (outcomes_YYYY-MM.csv,\n"
		"                     discrepancies_YYYY-MM.csv); then the file goes to\n"
		"                     ROOT/processed/ when it raised no discrepancy, else\n"
		"                     to ROOT/discrepancies/ with NAME.discrepancies.csv\n"
		"     (a name the folder holds already is filed as NAME.1, NAME.2, ...,\n"
		"     its report named alike);\n"
		"  4. MISSING_FILE (once per job and date) for D, and every earlier date\n"
		"     since the job's first day (set by its first run: D, or yesterday\n"
		"     when that run replayed an earlier date), whose deadline passed\n"
		"     with no file of the job's schema dated so; the clock is $KASI_NOW\n"
		"     when set (ISO 8601 with an offset, in the years 2000 to 2999), so\n"
		"     tests and replays can fix it;\n"
		"  5. the job's notify program, if any, in a process group of its own,\n"
		"     killed whole after 60 s ($KASI_NOTIFY_TIMEOUT seconds when set).\n"
		"\n"
		"A run killed at any point and started again finishes the work: nothing\n"
		"is counted twice and no file is lost. The output is one line per file and\n"
		"a summary, each stamped with the time (SAST) and the run's id, as the log\n"
		"on stderr is; with standard error not a terminal (cron), only warnings\n"
		"and errors are logged unless -v is given.\n"
		"\n"
		"--json prints the run's outcome as one JSON document on stdout\n"
		"(docs/json.md), the line a file going to stderr with the log.\n"
		"\n"
		"exit: the worst of the run: 0 every file clean, 1 discrepancies (or a\n"
		"file refused or missing), 64 usage, 65 a file rejected, 66 no job file or\n"
		"no store, 69 the server could not be reached, trusted or entered, 74 I/O\n"
		"error, 75 another run holds the job's lock (or the store's), 78 a bad\n"
		"job file, $KASI_NOW or $KASI_NOTIFY_TIMEOUT, or a machine clock outside\n"
		"the years 2000 to 2999\n",
	.json_stopped = print_json_stopped,
};

/* How long notify may take: $KASI_NOTIFY_TIMEOUT seconds (1 to 3600)
 * when set, else RUN_NOTIFY_TIMEOUT. */
static int notify_timeout(int *seconds, struct err *e)
{
	const char *given = getenv("KASI_NOTIFY_TIMEOUT");
	*seconds = RUN_NOTIFY_TIMEOUT;
	if (!given || !*given)
		return 0;
	char *end;
	errno = 0;
	long v = strtol(given, &end, 10);
	if (*end || errno || v < 1 || v > 3600)
		return err_set(e, KASI_ECONFIG,
			       "KASI_NOTIFY_TIMEOUT must be whole seconds from 1 to 3600, got '%s'",
			       given);
	*seconds = (int)v;
	return 0;
}

/* The run's outcome as one JSON document (docs/json.md). */
static void print_json(const char *job, const struct run_result *res, bool stopped, const char *why)
{
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_text(&j, "job", *job ? job : NULL);
	json_text(&j, "day", *res->day ? res->day : NULL);
	json_int(&j, "status", res->status);
	json_bool(&j, "stopped", stopped);
	json_text(&j, "error", stopped ? why : NULL);
	json_int(&j, "fetched", res->fetched);
	json_int(&j, "files", res->files);
	json_int(&j, "clean", res->clean);
	json_int(&j, "with_discrepancies", res->with_discrepancies);
	json_int(&j, "rejected", res->rejected);
	json_int(&j, "missing", res->missing);
	json_int(&j, "missing_new", res->missing_new);
	json_text(&j, "summary", res->summary);
	json_array(&j, "reports");
	for (size_t i = 0; i < res->nreports; i++)
		json_text(&j, NULL, res->reports[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

/* A run the dispatcher stopped before it began (a clock that does not
 * read, no store): the run's own document, stopped, nothing done. */
static void print_json_stopped(int status, const char *why)
{
	struct run_result res = { .status = status };
	print_json("", &res, true, why);
}

static int cmd_run_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .out = stdout };
	const char *date = NULL;
	bool json = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (date)
				return cmd_option_twice(&cmd_run, "--date", date, optarg);
			date = optarg;
			break;
		case 'j':
			json = true;
			o.out = stderr; /* a line a file, as the log; the document alone on stdout */
			break;
		case 'h': return cmd_print_help(&cmd_run);
		default:
			return cmd_usage_error(&cmd_run, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_run, "expected one JOBFILE");
	o.day_given = date != NULL;
	if (date && date_parse(date, strlen(date), DATE_FMT_ISO, &o.day) != DATE_OK)
		return cmd_usage_error(&cmd_run, "--date wants a real date as YYYY-MM-DD, got '%s'",
				       date);
	if (date && !date_in_service(o.day))
		return cmd_usage_error(&cmd_run,
				       "--date wants a date in the years %d to %d, got '%s'",
				       DATE_SERVICE_FIRST_YEAR, DATE_SERVICE_LAST_YEAR, date);
	int status = cmd_begin(ctx, json);
	if (status)
		return status;

	struct err e = { 0 };
	struct job job;
	struct reasons *reasons = NULL;
	struct run_result res = { 0 };
	int lock = -1, timeout;
	o.now = ctx->now;
	int rc = notify_timeout(&timeout, &e);
	if (!rc)
		rc = job_load(&job, argv[optind], &e);
	else
		memset(&job, 0, sizeof(job));
	if (!rc)
		rc = fetch_prepare_root(&job, &e);
	if (!rc)
		rc = run_lock(&job, &lock, &e);
	if (!rc)
		rc = cmd_load_schemas(ctx, &e);
	if (!rc)
		rc = reasons_load(&reasons, ctx->schemas, &e);
	if (!rc) /* run_job logs its start, with its day */
		rc = run_job(ctx->store, ctx->schemas, reasons, &job, &o, &res, &e);
	if (rc) {
		/* A run that could not finish still tells its notify why. */
		log_error("%s", e.msg);
		res.status = -rc;
		if (*job.name)
			snprintf(res.summary, sizeof(res.summary), "%s: run stopped: exit %d",
				 job.name, res.status);
	} else if (!json) {
		char prefix[96];
		log_prefix(prefix, sizeof(prefix));
		printf("%s: %s\n", prefix, res.summary);
	}
	if (json)
		print_json(job.name, &res, rc != 0, e.msg);
	/* Every run that took the job's lock tells notify how it ended, a
	 * store locked or failing included. */
	if (lock >= 0)
		run_notify(&job, &res, timeout);
	status = res.status;
	reasons_free(reasons);
	run_result_release(&res);
	job_release(&job);
	if (lock >= 0)
		close(lock);
	return status;
}
