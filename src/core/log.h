/*
 * log.h — operator-facing messages on stderr.
 *
 * One line each, prefixed "kasi: " and a level. Callers never pass
 * secrets, and pass personal values only through text_render(..., mask).
 */
#ifndef KASI_LOG_H
#define KASI_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* From now on, every line carries the time in SAST and the run's id
 * ("2026-11-30T02:00:04+02:00 kasi[run 5f3a9c1e]: info: ..."), as a
 * nightly job's log needs to be read back. */
void log_set_run(const char *run_id);

/* A progress line for a long file, on a terminal only (never under cron):
 * log_progress_begin names what is being read ("JOB: NAME"),
 * log_progress says how far it got (rewriting the line in place), and
 * log_progress_end clears it. Without a label, or with standard error not
 * a terminal, nothing is written. */
void log_progress_begin(const char *label);
void log_progress(uint64_t rows);
void log_progress_end(void);

/* The prefix of a run's lines, "2026-11-30T02:00:04+02:00 kasi[run
 * 5f3a9c1e]" (or "kasi" outside a run), into out. */
void log_prefix(char *out, size_t size);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
