/*
 * cmd.h — what every subcommand gets from the dispatcher in kasi.c.
 *
 * A command is a row of the table in kasi.c: its name, its handler, the
 * set-up the dispatcher does for it (flags), and its usage and help,
 * which live next to the handler in src/cmd/<name>.c. A handler parses
 * its own options, calls one stage, prints, and returns an exit status
 * of kasi (enum kasi_status, docs/exit-codes.md).
 */
#ifndef KASI_CMD_H
#define KASI_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "io/schema.h"
#include "store/store.h"

struct kasi_ctx {
	const struct command *cmd;  /* the command run */
	const char *db_path;	    /* --db, $KASI_DB, else ./kasi.db */
	char *schemas_dir;	    /* --schemas, $KASI_SCHEMAS, beside the binary, installed */
	struct schema_set *schemas; /* loaded by cmd_load_schemas() */
	struct store *store;	    /* opened by cmd_begin (CMD_NEEDS_DB) */
	int64_t now;		    /* the clock (cmd_clock), read once by cmd_begin */
};

enum cmd_flags {
	CMD_NEEDS_DB = 1 << 0, /* the store must exist (kasi init) */
	CMD_JOB_LOG = 1 << 1,  /* a nightly job's logging (cmd_job_logging), from the start */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct kasi_ctx *ctx);
	unsigned flags;
	const char *usage;   /* one line: "kasi validate FILE [--schema NAME] [--json]" */
	const char *summary; /* one line for `kasi help` */
	const char *help;    /* the full text for `kasi help CMD` */
	/* With --json, the document of a command that could not start (its
	 * clock or its store refused by the dispatcher), given its exit status
	 * and message; NULL: {"error": ...} (cmd_finish). */
	void (*json_stopped)(int status, const char *message);
};

extern const struct command cmd_init;
extern const struct command cmd_load;
extern const struct command cmd_ingest;
extern const struct command cmd_status;
extern const struct command cmd_schedule;
extern const struct command cmd_reconcile;
extern const struct command cmd_settle;
extern const struct command cmd_report;
extern const struct command cmd_explain;
extern const struct command cmd_validate;
extern const struct command cmd_fetch;
extern const struct command cmd_run;
extern const struct command cmd_exceptions;
extern const struct command cmd_monitor;
extern const struct command cmd_void;

/* Load the schema set from ctx->schemas_dir (once). Returns 0, or
 * -KASI_ECONFIG with a message in e. */
int cmd_load_schemas(struct kasi_ctx *ctx, struct err *e);

/* The schema for the file at path: the one named, else the one whose
 * file-name pattern matches its base name. Returns 0, or -KASI_EUSAGE
 * (no schema of that name), -KASI_EDATA (no pattern matches the name),
 * -KASI_ECONFIG (several do, or the schemas do not load), with a message
 * in e. */
int cmd_pick_schema(struct kasi_ctx *ctx, const char *path, const char *name,
		    const struct schema **out, struct err *e);

/* The clock a command decides by, UTC seconds: $KASI_NOW when set (ISO
 * 8601 with an offset), else the machine's. One that does not read, or
 * whose SAST date is outside the years kasi runs in (DATE_SERVICE_*), is
 * refused: -KASI_ECONFIG, with the message in e. */
int cmd_clock(int64_t *now, struct err *e);

/* A nightly job's logging (kasi run, kasi fetch): every line stamped in
 * SAST with a new run id; with standard error not a terminal (cron), only
 * warnings and errors unless -v was given. */
void cmd_job_logging(void);

/* A command that needs the store (CMD_NEEDS_DB) calls this once its
 * arguments are known to be right, before anything else: a usage mistake
 * is told as one even where there is no store. Reads the clock
 * ($KASI_NOW, refused before anything is opened when kasi cannot read
 * it) and opens the store. 0, or the exit status of a command that
 * cannot start, its message logged (and with --json its document
 * printed: the command's own stopped shape, else {"error": ...}). */
int cmd_begin(struct kasi_ctx *ctx, bool json);

/* How a command that could not do its work ends: rc (0 or a negative
 * status) into the exit status; the message in e logged, and with --json
 * also given on stdout as the error document (cmd_json_error), so that a
 * reader of the JSON always gets a document. */
int cmd_finish(int rc, bool json, const struct err *e);

/* What a failure was about, for a program to show: the field, what was
 * expected of it, and what was received (the collections API's shape). */
struct cmd_error_details {
	const char *field, *expected, *received;
};
/* Print the one error document every --json command prints when it
 * cannot do its work: {"error": {"code", "status", "message"}}, with
 * "details" when given (kasi validate). */
void cmd_json_error(int status, const char *message, const struct cmd_error_details *details);

/* Who is at the keyboard, for the record of a resolution or a void:
 * $USER, else $LOGNAME, else the account kasi runs as (cron and systemd
 * set neither), else "unknown"; a run of digits in it masked. */
const char *cmd_operator(void);

#define CMD_NOTE_BUFSZ 1024
/* An operator's --note (why), as kept: one line of UTF-8 text, not
 * only spaces, no control or direction characters, under CMD_NOTE_BUFSZ
 * bytes, each run of digits (an ID or account number someone typed:
 * text_mask_digit_runs) masked but for its last four, as every message
 * masks them, into masked. Returns 0, or 64 with the usage error printed (`what` the
 * subcommand, `why` what the note says). */
int cmd_note(const struct command *cmd, const char *what, const char *why, const char *note,
	     char masked[CMD_NOTE_BUFSZ]);

/* The noun for n of a thing: one ("1 policy") or many ("2 policies"). */
const char *cmd_plural(uint64_t n, const char *one, const char *many);

/* Whether the command line asks for JSON (--json), told by the
 * dispatcher before the command runs: a usage error then also prints its
 * document on stdout. */
void cmd_json_asked(bool asked);

/* Print "kasi: error: <msg>" and the command's usage, and when JSON was
 * asked for (cmd_json_asked), the error document (the command's own
 * stopped shape, else {"error": ...}) with status 64; returns 64. */
int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An option with a value given again ("--period 2026-10 --period
 * 2026-11"): which one was meant? Prints the usage error; returns 64. */
int cmd_option_twice(const struct command *cmd, const char *option, const char *first,
		     const char *again);

/* Print the command's full help to stdout; returns 0. */
int cmd_print_help(const struct command *cmd);

/* The first of argv[from..argc) that is a period (YYYY-MM), or NULL: an
 * operand given where --period was meant. */
const char *cmd_period_operand(int argc, char **argv, int from);

/* The arguments of a command whose options are --period YYYY-MM, --help,
 * and --json when json is not NULL (*json set when given): sets *period
 * and returns true when the command is to go on, with exactly `operands`
 * operands left at argv[optind] (`what` names them in the error: "one
 * POLICY number") and *period a valid YYYY-MM; otherwise returns false
 * with *status the exit status (help printed, or a usage error). */
bool cmd_period_args(const struct command *cmd, int argc, char **argv, int operands,
		     const char *what, const char **period, bool *json, int *status);

#endif
