/*
 * log.c — see log.h.
 */
#include "core/common.h"
#include "core/log.h"

static enum log_level threshold = LOG_INFO;

void log_set_level(enum log_level level)
{
	threshold = level;
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
	fprintf(stderr, "kasi: %s: %s\n", names[level], line);
}
