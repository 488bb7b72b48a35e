/*
 * fetch.c — `kasi fetch JOBFILE`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/text.h"
#include "stage/fetch.h"
#include "stage/run.h"

#include <getopt.h>

static int cmd_fetch_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_fetch = {
	.name = "fetch",
	.fn = cmd_fetch_fn,
	.flags = CMD_NEEDS_DB | CMD_JOB_LOG,
	.usage = "kasi fetch JOBFILE",
	.summary = "pull a job's new files from its partner's SFTP server into its inbox",
	.help = "usage: kasi fetch JOBFILE\n"
		"\n"
		"Pull the new files of the job JOBFILE describes (jobs/README.md) into\n"
		"ROOT/inbox. Over SFTP, the server's host key must be in the job's\n"
		"known_hosts file (nothing else is read, not ~/.ssh, not ssh_config):\n"
		"an unknown, changed or other-type key, or one known_hosts marks\n"
		"@revoked, is refused, with the key's SHA-256 fingerprint, and nothing\n"
		"is ever added to known_hosts (@cert-authority lines trust nothing: no\n"
		"host certificates are taken). Only the job's private key is offered.\n"
		"The key (without a passphrase) and known_hosts are read from regular\n"
		"files only; a known_hosts that does not exist is a bad job file.\n"
		"\n"
		"It takes the job's lock (ROOT/.lock), as `kasi run` does: while a run\n"
		"or a fetch of the job holds it, it exits 75 at once, naming the pid.\n"
		"\n"
		"A name the job's pattern does not take is passed over, whatever it\n"
		"holds. A name it takes is fetched once: a file fetched before (the\n"
		"same name, size and modification time, or the same name and content)\n"
		"is not fetched again, even after it left the inbox. Refused: a name\n"
		"holding '/', '..', a control character (a direction override such as\n"
		"U+202E included) or bytes that are not UTF-8, a\n"
		"name longer than " FETCH_NAME_MAX_TEXT " bytes, anything not a regular file.\n"
		"A file is copied to a hidden temporary name (.NAME.part-PID), checked\n"
		"(all its listed bytes read, and its size and modification time asked\n"
		"again once read: a file rewritten meanwhile is not taken), synced and\n"
		"renamed into place: the inbox never holds part of a file, and a\n"
		"transfer cut short is fetched again by the next run. A file that\n"
		"cannot be read (gone, unreadable) is logged and the others are fetched.\n"
		"Then the job's after_pull is done on the server (keep, delete, or\n"
		"move:DIR). Names are shown escaped (\\n, \\xNN, \\u202E).\n"
		"\n"
		"exit: 0 fetched (or nothing new), 1 a file was refused or not taken\n"
		"this time (the log says why), 66 no job file or no store, 69 the server\n"
		"could not be reached, trusted or entered, 74 I/O error, 75 the job or\n"
		"the store locked, 78 a bad job file, naming its line and key (a key\n"
		"with a passphrase, a key or known_hosts that does not exist or is not\n"
		"a regular file)\n",
};

static int cmd_fetch_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(&cmd_fetch);
		return cmd_usage_error(&cmd_fetch, "unknown or incomplete option '%s'",
				       argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_fetch, "expected one JOBFILE");
	int status = cmd_begin(ctx, false);
	if (status)
		return status;
	struct err e = { 0 };
	struct job job;
	int lock = -1;
	const struct schema *schema;
	int rc = job_load(&job, argv[optind], &e);
	struct fetch_result res = { 0 };
	/* Files of a schema no run can process are not pulled at all. */
	if (!rc)
		rc = cmd_load_schemas(ctx, &e);
	if (!rc)
		rc = job_schema(&job, ctx->schemas, &schema, &e);
	/* Two pulls of a job at once would write the same files: the job's
	 * lock, as a run takes it, keeps the second out. */
	if (!rc)
		rc = fetch_prepare_root(&job, &e);
	if (!rc)
		rc = run_lock(&job, &lock, &e);
	if (!rc)
		rc = fetch_job(ctx->store, &job, &res, &e);
	if (lock >= 0)
		close(lock);
	if (rc) {
		log_error("%s", e.msg);
		job_release(&job);
		fetch_result_release(&res);
		return -rc;
	}
	char shown[TEXT_NAME_BUFSZ];
	for (size_t i = 0; i < res.nnames; i++)
		printf("%s: fetched %s\n", job.name, text_name(res.names[i], shown));
	printf("%s: %d fetched, %d fetched before, %d refused, %d not taken this time; inbox "
	       "%s/inbox\n",
	       job.name, res.fetched, res.known, res.refused, res.failed, job.root);
	status = res.refused || res.failed ? KASI_FINDINGS : KASI_OK;
	job_release(&job);
	fetch_result_release(&res);
	return status;
}
