/*
 * cmd.c — helpers shared by the subcommands (see cmd.h).
 */
#include "core/common.h"
#include "cmd/cmd.h"

#include <pwd.h>
#include <sys/random.h>
#include "core/dates.h"
#include "core/json.h"
#include "core/log.h"
#include "core/text.h"

#include <getopt.h>

int cmd_load_schemas(struct kasi_ctx *ctx, struct err *e)
{
	if (ctx->schemas)
		return 0;
	return schema_set_load(&ctx->schemas, ctx->schemas_dir, e);
}

/* The message for a name no schema's pattern matches, with the patterns
 * known, one to a line under it (a list an operator reads at once):
 *
 *   no schema's file name pattern matches 'x.csv' (name one with --schema
 *   NAME, or name the file as one of these expects):
 *     products                ^products([_-][A-Za-z0-9_-]+)?\.csv(\.gz)?$
 */
static int no_schema_matches(const struct schema_set *set, const char *base, struct err *e)
{
	char msg[sizeof(e->msg)];
	size_t width = 0, len;
	for (size_t i = 0; i < set->n; i++)
		if (strlen(set->items[i]->name) > width)
			width = strlen(set->items[i]->name);
	int k = snprintf(msg, sizeof(msg),
			 "no schema's file name pattern matches '%s' (name one with --schema "
			 "NAME, or name the file as one of these expects):",
			 base);
	len = k > 0 && (size_t)k < sizeof(msg) ? (size_t)k : sizeof(msg) - 1;
	for (size_t i = 0; i < set->n; i++) {
		const struct schema *s = set->items[i];
		k = snprintf(msg + len, sizeof(msg) - len, "\n  %-*s  %s", (int)width, s->name,
			     regex_source(s->file_name));
		if (k < 0 || (size_t)k >= sizeof(msg) - len) {
			snprintf(msg + len, sizeof(msg) - len, "\n  ...");
			break;
		}
		len += (size_t)k;
	}
	return err_set(e, KASI_EDATA, "%s", msg);
}

int cmd_pick_schema(struct kasi_ctx *ctx, const char *path, const char *name,
		    const struct schema **out, struct err *e)
{
	int rc = cmd_load_schemas(ctx, e);
	if (rc)
		return rc;
	const char *base = base_name(path);
	if (name) {
		*out = schema_set_find(ctx->schemas, name);
		return *out ? 0
			    : err_set(e, KASI_EUSAGE, "no schema named '%s' in '%s'", name,
				      ctx->schemas_dir);
	}
	const struct schema *found[8];
	struct regex_matcher *m = regex_matcher_new();
	if (!m)
		return err_set(e, KASI_EIO, "out of memory");
	size_t n = schema_set_match(ctx->schemas, m, base, found, ARRAY_SIZE(found));
	regex_matcher_free(m);
	if (n == 0)
		return no_schema_matches(ctx->schemas, base, e);
	if (n > 1)
		return err_set(e, KASI_ECONFIG, "'%s' matches more than one schema (%s, %s%s)",
			       base, found[0]->name, found[1]->name, n > 2 ? ", ..." : "");
	*out = found[0];
	return 0;
}

/* The error document's code for an exit status: a word a program can
 * switch on, beside the status itself. */
static const char *error_code(int status)
{
	switch (status) {
	case KASI_EUSAGE: return "USAGE_ERROR";
	case KASI_EDATA: return "VALIDATION_ERROR";
	case KASI_ENOINPUT: return "NOT_FOUND";
	case KASI_EUNAVAILABLE: return "UNAVAILABLE";
	case KASI_ELOCKED: return "LOCKED";
	case KASI_ECONFIG: return "CONFIGURATION_ERROR";
	}
	return "INTERNAL_ERROR";
}

void cmd_json_error(int status, const char *message, const struct cmd_error_details *details)
{
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_object(&j, "error");
	json_text(&j, "code", error_code(status));
	json_int(&j, "status", status);
	json_text(&j, "message", message);
	if (details) {
		json_object(&j, "details");
		json_text(&j, "field", details->field);
		json_text(&j, "expected", details->expected);
		json_text(&j, "received", details->received);
		json_close(&j, '}');
	}
	json_close(&j, '}');
	json_close(&j, '}');
	json_end(&j);
}

int cmd_finish(int rc, bool json, const struct err *e)
{
	if (!rc)
		return KASI_OK;
	log_error("%s", e->msg);
	if (json)
		cmd_json_error(-rc, e->msg, NULL);
	return -rc;
}

int cmd_begin(struct kasi_ctx *ctx, bool json)
{
	struct err e = { 0 };
	int rc = ctx->store ? 0 : cmd_clock(&ctx->now, &e);
	if (!rc && !ctx->store)
		rc = store_open(&ctx->store, ctx->db_path, &e);
	if (!rc)
		return KASI_OK;
	if (!json || !ctx->cmd->json_stopped)
		return cmd_finish(rc, json, &e);
	log_error("%s", e.msg);
	ctx->cmd->json_stopped(-rc, e.msg);
	return -rc;
}

const char *cmd_plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Whether the command line asks for JSON (cmd_json_asked). */
static bool json_asked;

void cmd_json_asked(bool asked)
{
	json_asked = asked;
}

int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	fprintf(stderr, "usage: %s\n(see 'kasi help %s')\n", cmd->usage, cmd->name);
	/* A program that asked for JSON reads stdout for a document: a
	 * command line it got wrong is no reason to leave it without one. */
	if (json_asked && cmd->json_stopped)
		cmd->json_stopped(KASI_EUSAGE, msg);
	else if (json_asked)
		cmd_json_error(KASI_EUSAGE, msg, NULL);
	return KASI_EUSAGE;
}

int cmd_option_twice(const struct command *cmd, const char *option, const char *first,
		     const char *again)
{
	return cmd_usage_error(cmd, "%s is given twice ('%s', then '%s'): give it once", option,
			       first, again);
}

int cmd_print_help(const struct command *cmd)
{
	fputs(cmd->help, stdout);
	return KASI_OK;
}

const char *cmd_period_operand(int argc, char **argv, int from)
{
	int32_t p;
	for (int i = from; i < argc; i++)
		if (period_parse(argv[i], strlen(argv[i]), &p) == DATE_OK)
			return argv[i];
	return NULL;
}

bool cmd_period_args(const struct command *cmd, int argc, char **argv, int operands,
		     const char *what, const char **period, bool *json, int *status)
{
	static const struct option longopts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	*period = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j' && json) {
			*json = true;
			continue;
		}
		switch (c) {
		case 'p':
			if (*period) {
				*status = cmd_option_twice(cmd, "--period", *period, optarg);
				return false;
			}
			*period = optarg;
			break;
		case 'h': *status = cmd_print_help(cmd); return false;
		default:
			*status = cmd_usage_error(cmd, "unknown or incomplete option '%s'",
						  argv[optind - 1]);
			return false;
		}
	}
	const char *bare = *period ? NULL : cmd_period_operand(argc, argv, optind);
	if (argc - optind != operands) {
		if (bare)
			*status = cmd_usage_error(cmd, "unexpected '%s': did you mean --period %s?",
						  bare, bare);
		else if (operands || optind >= argc)
			*status = cmd_usage_error(cmd, "expected %s", what);
		else
			*status = cmd_usage_error(cmd, "unexpected '%s'", argv[optind]);
		return false;
	}
	if (!*period) {
		*status = cmd_usage_error(cmd, "--period YYYY-MM is required");
		return false;
	}
	int32_t p;
	if (period_parse(*period, strlen(*period), &p) != DATE_OK) {
		*status = cmd_usage_error(cmd, "'%s' is not a period (YYYY-MM)", *period);
		return false;
	}
	return true;
}

int cmd_clock(int64_t *now, struct err *e)
{
	const char *fixed = getenv("KASI_NOW");
	*now = (int64_t)time(NULL);
	/* The store records it as given, in at most 31 characters. */
	if (fixed && *fixed &&
	    (strlen(fixed) > 31 || timestamp_parse(fixed, strlen(fixed), now) != DATE_OK))
		return err_set(e, KASI_ECONFIG,
			       "KASI_NOW must be ISO 8601 with an offset "
			       "(2026-10-23T07:30:00+02:00), got '%s'",
			       fixed);
	if (date_in_service(date_business_of(*now)))
		return 0;
	if (fixed && *fixed)
		return err_set(e, KASI_ECONFIG,
			       "KASI_NOW is '%s', outside the years %d to %d kasi runs in: not a "
			       "clock to decide by",
			       fixed, DATE_SERVICE_FIRST_YEAR, DATE_SERVICE_LAST_YEAR);
	char today[DATE_BUFSZ];
	date_format_iso(date_business_of(*now), today);
	return err_set(e, KASI_ECONFIG,
		       "the machine's clock says it is %s, outside the years %d to %d kasi runs "
		       "in: set the clock right",
		       today, DATE_SERVICE_FIRST_YEAR, DATE_SERVICE_LAST_YEAR);
}

void cmd_job_logging(void)
{
	uint32_t r = 0;
	char run_id[16];
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	snprintf(run_id, sizeof(run_id), "%08" PRIx32, r);
	log_set_run(run_id);
	if (!isatty(STDERR_FILENO) && log_get_level() < LOG_DEBUG)
		log_set_level(LOG_WARN);
}

const char *cmd_operator(void)
{
	static char kept[256];
	const char *who = getenv("USER");
	if (!who || !*who)
		who = getenv("LOGNAME");
	if (!who || !*who) {
		const struct passwd *pw = getpwuid(geteuid());
		who = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "unknown";
	}
	/* At most what kept holds, cut between characters, never inside one:
	 * a cut in the middle of a character would record text that is not
	 * UTF-8. A byte that starts no character counts as one. */
	size_t n = strlen(who), cut = 0;
	while (cut < n) {
		size_t len = text_utf8_len(who + cut, n - cut);
		if (!len)
			len = 1;
		if (cut + len >= sizeof(kept))
			break;
		cut += len;
	}
	memcpy(kept, who, cut);
	kept[cut] = '\0';
	/* a number in it masked (it is shown escaped, as every name) */
	text_mask_digit_runs(kept);
	return kept;
}

int cmd_note(const struct command *cmd, const char *what, const char *why, const char *note,
	     char masked[CMD_NOTE_BUFSZ])
{
	if (!note || !note[strspn(note, " ")])
		return cmd_usage_error(cmd, "%s needs --note TEXT: %s", what, why);
	uint32_t cps;
	size_t n = strlen(note);
	bool plain = text_scan(note, n, &cps) == TEXT_OK && !text_has_invisible_control(note, n);
	for (const char *ch = note; *ch && plain; ch++)
		plain = (unsigned char)*ch >= 0x20 && *ch != 0x7f;
	if (!plain)
		return cmd_usage_error(cmd, "--note is one line of UTF-8 text: no control "
					    "characters, nothing that turns the text around it");
	if (n >= CMD_NOTE_BUFSZ)
		return cmd_usage_error(cmd, "--note is at most %d bytes", CMD_NOTE_BUFSZ - 1);
	memcpy(masked, note, n + 1);
	text_mask_digit_runs(masked);
	return 0;
}
