/*
 * job.h — a nightly job: one channel's pull from its partner's SFTP server
 * (or a local directory), described by a job file (jobs/README.md).
 *
 *   [job]
 *   name        = acmepay              [a-z0-9_-]+: the job in logs and state
 *   source      = sftp                 sftp | local
 *   host        = sftp.partner.example sftp only
 *   port        = 22                   sftp only; default 22
 *   user        = kasi                 sftp only
 *   identity    = keys/id_ed25519      sftp only; a private key file, never logged
 *   known_hosts = keys/known_hosts     sftp only; the only trust store
 *   remote_dir  = /outbound            the server's directory; local: a directory
 *   pattern     = ^acmepay_[0-9]{8}\.csv(\.gz)?$   PCRE2, the whole name
 *   schema      = acmepay_daily        the schema the files must satisfy
 *   root        = /var/lib/kasi/acmepay  inbox/ processed/ discrepancies/ error/ reports/
 *   deadline    = 07:00                HH:MM exactly, SAST, on the day after the file's date
 *   after_pull  = keep                 keep | delete | move:DIR (a remote directory)
 *   notify      = /usr/local/bin/kasi-notify   optional; run without a shell
 *   timeout     = 30                   optional; seconds, to connect and for each read
 *
 * Relative paths are the job file's directory's. A missing required key,
 * an unknown key, a key of the other source, or a bad value is a
 * configuration error (exit 78) naming the file, the line and the key.
 * Bad values include a host holding a port or a user ("host:22",
 * "user@host") or starting with '-', a user starting with '-', a notify
 * that is not a regular file kasi may execute, and, for a local job, a
 * remote_dir that is the root, lies inside it or holds it, or a move:
 * directory inside the root or equal to remote_dir (links and ".."
 * resolved as far as the paths exist).
 */
#ifndef KASI_JOB_H
#define KASI_JOB_H

#include <limits.h>
#include <stdbool.h>

#include "core/err.h"
#include "io/regex.h"
#include "io/schema.h"

enum job_source { JOB_SFTP, JOB_LOCAL };
enum job_after_pull { AFTER_KEEP, AFTER_DELETE, AFTER_MOVE };

struct job {
	char path[PATH_MAX]; /* the job file */
	char name[64];
	enum job_source source;
	char host[256];
	int port;
	char user[64];
	char identity[PATH_MAX], known_hosts[PATH_MAX];
	char remote_dir[PATH_MAX];
	char pattern[1024];
	struct regex *pattern_re;
	char schema[128];
	int schema_line; /* the job file's line that names it */
	char root[PATH_MAX];
	int deadline_minutes; /* after midnight, SAST */
	enum job_after_pull after_pull;
	char move_dir[PATH_MAX];
	char notify[PATH_MAX]; /* "" when none */
	int timeout;	       /* seconds */
};

/* Read and check the job file at path into *job. Returns 0, or
 * -KASI_ENOINPUT (no such file), -KASI_ECONFIG ("path:line: key: what is
 * wrong"), with the message in e. Released with job_release. */
int job_load(struct job *job, const char *path, struct err *e);
void job_release(struct job *job);

/* The schema the job's files must satisfy, in set: a channel's (a
 * register's, or a name set does not hold, would fetch files no run can
 * process). Returns 0 with *out, or -KASI_ECONFIG ("path:line: schema:
 * what is wrong"), before anything is fetched. */
int job_schema(const struct job *job, const struct schema_set *set, const struct schema **out,
	       struct err *e);

/* Whether a server's file name may be taken: one the pattern does not
 * take is passed over; one holding a control character (C0, C1, or a
 * bidirectional control such as U+202E), '/' or bytes that are not UTF-8
 * (whatever the pattern), or '..' (a name the pattern takes), is refused,
 * *unsafe true. */
bool job_takes_name(const struct job *job, struct regex_matcher *m, const char *name, bool *unsafe);

#endif
