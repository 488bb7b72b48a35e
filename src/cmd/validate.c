/*
 * validate.c — `kasi validate FILE [--schema NAME] [--json]`.
 *
 * Picks the schema by the file's name unless --schema names one, checks
 * the whole file (stage/validate.c) and prints every error: the first
 * 100 in full, then counts per rule. Exit 0 valid, 65 invalid, 66
 * missing/unreadable, 78 bad schema, 64 usage.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "io/input.h"
#include "stage/validate.h"

#include <getopt.h>

static int cmd_validate_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_validate = {
	.name = "validate",
	.fn = cmd_validate_fn,
	.usage = "kasi validate FILE [--schema NAME] [--json]",
	.summary = "check a file against its schema and report every error",
	.help = "usage: kasi validate FILE [--schema NAME] [--json]\n"
		"\n"
		"Check FILE (CSV, or CSV compressed with gzip) against a schema and\n"
		"report every error: file, row, column, rule, what was expected and the\n"
		"value received (ID and account numbers masked). The first 100 errors\n"
		"are listed in full, then the count of errors per rule. A valid file\n"
		"gets a one-line summary: rows, bytes, schema and the file's date.\n"
		"\n"
		"Rows are numbered as a spreadsheet shows them: the header is row 1.\n"
		"\n"
		"  --schema NAME  use schemas/NAME.schema instead of the schema whose\n"
		"                 file-name pattern matches FILE's name\n"
		"  --json         print the report as one JSON document; each error has\n"
		"                 code, message, and details {field, expected, received}\n"
		"\n"
		"exit: 0 valid, 65 invalid (or no schema for the name), 66 missing or\n"
		"unreadable, 74 I/O error, 78 bad schema, 64 usage\n",
};

/* A failure that is not a validation report: a message on stderr, as
 * every command logs one, and with --json also the error document of
 * every command on stdout, with its details. */
static int fail(bool json, int status, const char *field, const char *expected,
		const char *received, const char *msg)
{
	log_error("%s", msg);
	if (json)
		cmd_json_error(status, msg,
			       &(struct cmd_error_details){ field, expected, received });
	return status;
}

static int cmd_validate_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "schema", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema_name = NULL;
	bool json = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (schema_name)
				return cmd_option_twice(&cmd_validate, "--schema", schema_name,
							optarg);
			schema_name = optarg;
			break;
		case 'j': json = true; break;
		case 'h': return cmd_print_help(&cmd_validate);
		default:
			return cmd_usage_error(&cmd_validate, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_validate, "expected exactly one FILE");
	const char *path = argv[optind];

	struct err e = { 0 };
	int fd;
	if (input_open(path, &fd, &e))
		return fail(json, KASI_ENOINPUT, "file", "a readable file", path, e.msg);
	const struct schema *schema = NULL;
	int rc = cmd_pick_schema(ctx, path, schema_name, &schema, &e);
	if (rc) {
		close(fd);
		if (rc == -KASI_EUSAGE && !json)
			return cmd_usage_error(&cmd_validate, "%s", e.msg);
		const char *base = base_name(path);
		if (rc == -KASI_EUSAGE)
			return fail(json, KASI_EUSAGE, "schema", "a schema name", schema_name,
				    e.msg);
		if (rc == -KASI_EDATA)
			return fail(json, KASI_EDATA, "file_name", "a file name a schema knows",
				    base, e.msg);
		return fail(json, -rc, "schemas", "valid schema files", ctx->schemas_dir, e.msg);
	}

	struct validation v;
	log_progress_begin(path);
	rc = validate_fd(schema, fd, path, NULL, &v, &e);
	log_progress_end();
	if (rc) {
		validation_release(&v);
		return fail(json, -rc, "file", "a readable file", path, e.msg);
	}
	if (json)
		validation_print_json(&v, stdout);
	else
		validation_print_text(&v, stdout);
	int status = v.nerrors ? KASI_EDATA : KASI_OK;
	validation_release(&v);
	return status;
}
