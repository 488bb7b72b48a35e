/*
 * log.c — see log.h.
 */
#include "core/common.h"
#include "core/log.h"
#include "core/text.h"

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

/* A message that cannot move the terminal or pass for a line of its
 * own: every control byte (an escape, a newline) that reached it, from a
 * command line, a path or $KASI_NOW, shown as \xNN, but for a newline
 * that begins an indented line under it (a list the message itself
 * lays out, which no line of kasi's begins with); a message cut at the
 * end of a character, never inside one. */
static void one_line(const char *msg, size_t n, bool cut, char *out, size_t size)
{
	if (cut)
		for (size_t back = 1; back <= 3 && back <= n; back++) {
			size_t at = n - back;
			if (((unsigned char)msg[at] & 0xC0) == 0x80)
				continue;
			if (text_utf8_len(msg + at, back) == 0 && (unsigned char)msg[at] >= 0xC0)
				n = at; /* a character begun, not ended */
			break;
		}
	size_t len = 0;
	for (size_t i = 0; i < n && len + 5 < size; i++) {
		unsigned char c = (unsigned char)msg[i];
		bool continues = c == '\n' && i + 2 < n && msg[i + 1] == ' ' && msg[i + 2] == ' ';
		if ((c < 0x20 || c == 0x7F) && !continues)
			len += (size_t)snprintf(out + len, size - len, "\\x%02X", c);
		else
			out[len++] = (char)c;
	}
	out[len] = '\0';
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (level > threshold)
		return;
	char msg[2048], line[sizeof(msg) * 4];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bool cut = n >= (int)sizeof(msg);
	one_line(msg, n < 0 ? 0 : cut ? sizeof(msg) - 1 : (size_t)n, cut, line, sizeof(line));
	/* One write per line, so lines from concurrent runs do not interleave. */
	char prefix[96];
	log_prefix(prefix, sizeof(prefix));
	fprintf(stderr, "%s: %s: %s\n", prefix, names[level], line);
}
