/*
 * log.c — see log.h.
 */
#include "core/common.h"
#include "core/log.h"

static enum log_level threshold = LOG_INFO;
static char run[32];

void log_set_level(enum log_level level)
{
	threshold = level;
}

enum log_level log_get_level(void)
{
	return threshold;
}

void log_set_run(const char *run_id)
{
	snprintf(run, sizeof(run), "%s", run_id ? run_id : "");
}

/* Now in SAST (UTC+02:00, no daylight saving), ISO 8601. */
static void sast_now(char out[32])
{
	time_t t = time(NULL) + 2 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+02:00", &tm);
}

static char progress_label[160];
static bool progress_shown;

void log_progress_begin(const char *label)
{
	progress_label[0] = '\0';
	if (isatty(STDERR_FILENO))
		snprintf(progress_label, sizeof(progress_label), "%s", label);
}

void log_progress(uint64_t rows)
{
	if (!progress_label[0])
		return;
	fprintf(stderr, "\r%s: %" PRIu64 " rows read...", progress_label, rows);
	fflush(stderr);
	progress_shown = true;
}

void log_progress_end(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = false;
	progress_label[0] = '\0';
}

void log_prefix(char *out, size_t size)
{
	char now[32];
	if (!*run) {
		snprintf(out, size, "kasi");
		return;
	}
	sast_now(now);
	snprintf(out, size, "%s kasi[run %s]", now, run);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (level > threshold)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines from concurrent runs do not interleave. */
	char prefix[96];
	log_prefix(prefix, sizeof(prefix));
	fprintf(stderr, "%s: %s: %s\n", prefix, names[level], line);
}
