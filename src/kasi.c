/*
 * kasi.c — the kasi binary: global options, the command table, dispatch.
 *
 *   kasi [--db PATH] [--schemas DIR] COMMAND [ARGS...]
 *
 * Global options come before the command. The dispatcher
 * resolves them, finds the command in commands[] and calls its handler,
 * whose return value is the exit status. Nothing else calls exit().
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "io/content.h"
#include "io/csv.h"
#include "io/digest.h"
#include "io/regex.h"
#include "io/sftp.h"

#include <malloc.h>
#include <signal.h>

#ifndef KASI_VERSION
#define KASI_VERSION "0.1.0"
#endif
#ifndef KASI_SCHEMA_DIR
#define KASI_SCHEMA_DIR "/usr/local/share/kasi/schemas"
#endif

static int cmd_help_fn(int argc, char **argv, struct kasi_ctx *ctx);
static int cmd_version_fn(int argc, char **argv, struct kasi_ctx *ctx);

static const struct command cmd_help = {
	.name = "help",
	.fn = cmd_help_fn,
	.usage = "kasi help [COMMAND]",
	.summary = "show this overview, or a command's full help",
	.help = "usage: kasi help [COMMAND]\n\n"
		"Without COMMAND, list the commands, global options and exit codes;\n"
		"with one, show its full help (the same as 'kasi COMMAND --help').\n",
};

static const struct command cmd_version = {
	.name = "version",
	.fn = cmd_version_fn,
	.usage = "kasi version",
	.summary = "print kasi's version and its libraries'",
	.help = "usage: kasi version\n\nPrint the version of kasi, then of each library it runs on:\n"
		"SQLite, PCRE2, zlib, libcsv, libssh and OpenSSL.\n",
};

static const struct command *const commands[] = {
	/* One command a line, in the order of the pipeline. */
	/* clang-format off */
	&cmd_init,
	&cmd_load,
	&cmd_validate,
	&cmd_ingest,
	&cmd_void,
	&cmd_schedule,
	&cmd_reconcile,
	&cmd_settle,
	&cmd_report,
	&cmd_explain,
	&cmd_fetch,
	&cmd_run,
	&cmd_status,
	&cmd_exceptions,
	&cmd_monitor,
	&cmd_help,
	&cmd_version,
	/* clang-format on */
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* The edit distance between a and b (insertions, deletions and
 * substitutions), up to 31 characters of each. */
static size_t distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), row[32];
	if (n > 31 || m > 31)
		return SIZE_MAX;
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[m];
}

/* The command name is most likely a typing slip of (two edits at most),
 * or NULL. */
static const char *nearest_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t d = distance(name, commands[i]->name);
		if (d < best_d && d < strlen(commands[i]->name)) {
			best = commands[i]->name;
			best_d = d;
		}
	}
	return best;
}

static void print_overview(FILE *out)
{
	fputs("usage: kasi [--db PATH] [--schemas DIR] COMMAND [ARGS...]\n\n"
	      "kasi reconciles what the channels collected against the premiums\n"
	      "expected of each policy, and reports each policy's outcome and every\n"
	      "discrepancy.\n\ncommands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nglobal options (before COMMAND):\n"
	      "  --db PATH      the store (default $KASI_DB, else ./kasi.db)\n"
	      "  --schemas DIR  schema directory (default $KASI_SCHEMAS, else schemas/\n"
	      "                 beside the binary, else the installed copy)\n"
	      "  --verbose, -v  also log what each step did and how long it took\n"
	      "  --help         this text;  --version  the version\n"
	      "\nexit codes:\n"
	      "  0  success              1  finished with discrepancies\n"
	      "  64 usage error          65 data rejected\n"
	      "  66 input missing        69 a partner's server unavailable\n"
	      "  74 I/O error            75 the store, or the job, is locked by another kasi\n"
	      "  78 bad configuration\n"
	      "\n'kasi help COMMAND' shows a command's options.\n",
	      out);
}

static int cmd_help_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	(void)ctx;
	if (argc > 2)
		return cmd_usage_error(&cmd_help, "expected at most one COMMAND");
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cmd_print_help(&cmd_help); /* as every 'kasi COMMAND --help' */
	if (argc == 2) {
		const struct command *cmd = find_command(argv[1]);
		const char *near = cmd ? NULL : nearest_command(argv[1]);
		if (!cmd)
			return cmd_usage_error(&cmd_help, "no command named '%s'%s%s%s", argv[1],
					       near ? " (did you mean '" : "", near ? near : "",
					       near ? "'?)" : "");
		return cmd_print_help(cmd);
	}
	print_overview(stdout);
	return KASI_OK;
}

static int cmd_version_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	(void)ctx;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_print_help(&cmd_version);
	if (argc > 1)
		return cmd_usage_error(&cmd_version, "takes no arguments");
	/* Each library's version comes from the module that uses it. */
	const struct {
		const char *name, *version;
	} libraries[] = {
		{ "SQLite", store_library_version() }, { "PCRE2", regex_library_version() },
		{ "zlib", content_zlib_version() },    { "libcsv", csv_libcsv_version() },
		{ "libssh", sftp_library_version() },  { "OpenSSL", digest_library_version() },
	};
	printf("kasi %s\n", KASI_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(libraries); i++)
		printf("  %-8s %s\n", libraries[i].name, libraries[i].version);
	return KASI_OK;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --schemas, else $KASI_SCHEMAS, else schemas/ beside the binary (a
 * build tree), else the installed copy: ../share/kasi/schemas from the
 * binary, so an install under any PREFIX finds its own, else the
 * directory compiled in. Returns a malloc'd path. */
static char *resolve_schemas_dir(const char *given)
{
	if (given)
		return strdup(given);
	const char *env = getenv("KASI_SCHEMAS");
	if (env && *env)
		return strdup(env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			static const char *const beside[] = { "schemas", "../share/kasi/schemas" };
			*slash = '\0';
			for (size_t i = 0; i < ARRAY_SIZE(beside); i++) {
				char dir[PATH_MAX + 32];
				snprintf(dir, sizeof(dir), "%s/%s", exe, beside[i]);
				if (is_dir(dir))
					return strdup(dir);
			}
		}
	}
	return strdup(KASI_SCHEMA_DIR);
}

/* Match "--name VALUE" or "--name=VALUE" at argv[*i]; on a match, set
 * *value and advance *i past what was used. -1: the value is missing. */
static int top_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A global option at argv[*i] ("--db PATH" or "--db=PATH") into *value:
 * 1 taken, 0 not this option, -1 its value missing, -2 given twice (the
 * usage error printed). */
static int global_option(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];
	if (strncmp(arg, name, len) != 0)
		return 0;
	if (arg[len] != '=' && arg[len] != '\0')
		return 0;
	if (arg[len] == '\0' && *i + 1 >= argc)
		return -1;
	const char *given = arg[len] == '=' ? arg + len + 1 : argv[++*i];
	if (*value)
		return top_usage("%s is given twice ('%s', then '%s'): give it once", name, *value,
				 given),
		       -2;
	*value = given;
	return 1;
}

static int top_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether the command line asks for JSON anywhere (--json before any
 * "--"): a command line kasi cannot read then still prints the error
 * document. */
static bool top_json;

static int top_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	fputs("usage: kasi [--db PATH] [--schemas DIR] COMMAND [ARGS...]\n"
	      "(see 'kasi help')\n",
	      stderr);
	if (top_json)
		cmd_json_error(KASI_EUSAGE, msg, NULL);
	return KASI_EUSAGE;
}

/* The global options: those with a value name it (NULL: a flag). */
static const struct {
	const char *name, *value;
} globals[] = {
	{ "--db", "PATH" },
	{ "--schemas", "DIR" },
	{ "--verbose", NULL },
	{ "-v", NULL },
};

/* How many arguments from argv[i] a global option takes up there: 0 (not
 * one), 1, or 2 ("--db PATH"; 1 when PATH is missing). */
static int global_span(int argc, char **argv, int i)
{
	for (size_t g = 0; g < ARRAY_SIZE(globals); g++) {
		size_t len = strlen(globals[g].name);
		const char *arg = argv[i];
		if (strncmp(arg, globals[g].name, len))
			continue;
		if (globals[g].value && arg[len] == '=')
			return 1;
		if (arg[len] == '\0')
			return globals[g].value && i + 1 < argc ? 2 : 1;
	}
	return 0;
}

static void append_word(char *line, size_t size, size_t *n, const char *word)
{
	int k = snprintf(line + *n, size - *n, "%s%s", *n ? " " : "", word);
	*n = k < 0 || (size_t)k >= size - *n ? size - 1 : *n + (size_t)k;
}

/* A global option after the command would reach the command's own parser,
 * which knows it not, or worse, take it for an operand: refused here, for
 * every command, with the command line meant (the options moved before
 * it). Nothing after "--" is an option. Returns 0, or KASI_EUSAGE. */
static int misplaced_global(int argc, char **argv, int at)
{
	int end = at + 1; /* the first argument that cannot be an option */
	while (end < argc && strcmp(argv[end], "--"))
		end++;
	bool found = false;
	for (int i = at + 1; i < end && !found; i++)
		found = global_span(argc, argv, i) > 0;
	if (!found)
		return 0;
	char line[1024];
	size_t n = 0;
	append_word(line, sizeof(line), &n, "kasi");
	for (int i = 1; i < at; i++)
		append_word(line, sizeof(line), &n, argv[i]);
	for (int i = at + 1, span; i < end; i += span ? span : 1) {
		span = global_span(argc, argv, i);
		for (int k = 0; k < span; k++)
			append_word(line, sizeof(line), &n, argv[i + k]);
		if (span == 1 && i + 1 == argc) /* "--db" last, its value missing */
			for (size_t g = 0; g < ARRAY_SIZE(globals); g++)
				if (globals[g].value && !strcmp(argv[i], globals[g].name))
					append_word(line, sizeof(line), &n, globals[g].value);
	}
	append_word(line, sizeof(line), &n, argv[at]);
	for (int i = at + 1, span; i < argc; i += span ? span : 1) {
		span = i < end ? global_span(argc, argv, i) : 0;
		if (!span)
			append_word(line, sizeof(line), &n, argv[i]);
	}
	return top_usage("global options go before the command: %s", line);
}

/* An option before the command that is no global option: most likely the
 * command's own, put before it. When a command follows, the command line
 * meant (the option moved after it) is shown. Returns KASI_EUSAGE. */
static int unknown_global(int argc, char **argv, int at)
{
	int cmd = at + 1;
	while (cmd < argc && strcmp(argv[cmd], "--") && !find_command(argv[cmd]))
		cmd++;
	if (cmd >= argc || !strcmp(argv[cmd], "--"))
		return top_usage("unknown global option '%s' (the global options are --db, "
				 "--schemas and --verbose; a command's own go after it)",
				 argv[at]);
	char line[1024];
	size_t n = 0;
	append_word(line, sizeof(line), &n, "kasi");
	for (int i = 1; i < at; i++)
		append_word(line, sizeof(line), &n, argv[i]);
	append_word(line, sizeof(line), &n, argv[cmd]);
	for (int i = at; i < argc; i++)
		if (i != cmd)
			append_word(line, sizeof(line), &n, argv[i]);
	return top_usage("unknown global option '%s': a command's options go after the command: "
			 "%s",
			 argv[at], line);
}

/* Whether the command at argv[at] is asked for JSON (--json before any
 * "--", after which nothing is an option). */
static bool asks_json(int argc, char **argv, int at)
{
	for (int k = at + 1; k < argc && strcmp(argv[k], "--"); k++)
		if (!strcmp(argv[k], "--json"))
			return true;
	return false;
}

/* kasi is a batch program whose reader runs on two threads. glibc serves
 * large blocks with mmap and gives them back with munmap/mremap, and in a
 * threaded process each of those flushes the TLB of every core (an IPI);
 * growing key sets and buffers made that a tenth of the validation time.
 * Keep freed memory in the process instead: it is all returned at exit. */
static void tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *schemas = NULL;
	tune_malloc();
	/* A file size limit (ulimit -f) reached would kill kasi mid-write
	 * (SIGXFSZ): ignored, the write fails with EFBIG instead, and the
	 * command reports an I/O error with the store rolled back. */
	signal(SIGXFSZ, SIG_IGN);
	top_json = asks_json(argc, argv, 0);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		int rc;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_overview(stdout);
			return KASI_OK;
		}
		if (!strcmp(argv[i], "--version"))
			return cmd_version_fn(1, argv, NULL);
		if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			log_set_level(LOG_DEBUG);
			continue;
		}
		if ((rc = global_option(argc, argv, &i, "--db", &db)) ||
		    (rc = global_option(argc, argv, &i, "--schemas", &schemas))) {
			if (rc == -2)
				return KASI_EUSAGE;
			if (rc < 0)
				return top_usage("option '%s' needs a value", argv[i]);
			continue;
		}
		return unknown_global(argc, argv, i);
	}
	if (i >= argc) {
		print_overview(stderr);
		return KASI_EUSAGE;
	}
	const struct command *cmd = find_command(argv[i]);
	const char *near = cmd ? NULL : nearest_command(argv[i]);
	if (!cmd)
		return top_usage("unknown command '%s'%s%s%s", argv[i],
				 near ? " (did you mean 'kasi " : "", near ? near : "",
				 near ? "'?)" : "");
	if (misplaced_global(argc, argv, i))
		return KASI_EUSAGE;

	struct kasi_ctx ctx = { 0 };
	if (!db)
		db = getenv("KASI_DB");
	ctx.db_path = db && *db ? db : "kasi.db";
	ctx.schemas_dir = resolve_schemas_dir(schemas);
	if (!ctx.schemas_dir) {
		log_error("out of memory");
		return KASI_EIO;
	}

	cmd_json_asked(asks_json(argc, argv, i));
	bool wants_help =
		argc - i == 2 && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"));
	if ((cmd->flags & CMD_JOB_LOG) && !wants_help)
		cmd_job_logging(); /* the store's own errors stamped too */
	/* The command reads its arguments, then opens the store (cmd_begin). */
	ctx.cmd = cmd;
	int status = cmd->fn(argc - i, argv + i, &ctx);

	store_close(ctx.store);
	schema_set_free(ctx.schemas);
	free(ctx.schemas_dir);
	if (fflush(stdout) != 0) {
		log_error("cannot write output: %s", strerror(errno));
		if (status == KASI_OK)
			status = KASI_EIO;
	}
	return status;
}
