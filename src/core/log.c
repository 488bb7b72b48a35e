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
