/*
 * fetch.c — `kasi fetch JOBFILE`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "stage/fetch.h"

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
		"an unknown, changed or other-type key is refused, with the key's\n"
		"SHA-256 fingerprint, and nothing is ever added to known_hosts. Only the\n"
		"job's private key is offered.\n"
		"\n"
		"A name the job's pattern takes is fetched once: a file fetched before\n"
		"(the same name, size and modification time, or the same name and\n"
		"content) is not fetched again, even after it left the inbox. A name\n"
		"holding '/', '..' or a control character, and anything that is not a\n"
		"regular file, is refused. A file is copied to a hidden temporary name,\n"
		"its size checked against the listing, synced and renamed into place:\n"
		"the inbox never holds part of a file, and a transfer cut short is\n"
		"fetched again by the next run. Then the job's after_pull is done on\n"
		"the server (keep, delete, or move:DIR).\n"
		"\n"
		"exit: 0 fetched (or nothing new), 1 a file was refused or not taken\n"
		"this time (the log says why), 66 no job file or no store, 69 the server\n"
		"could not be reached, trusted or entered, 74 I/O error, 75 store\n"
		"locked, 78 a bad job file\n",
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
	struct err e = { 0 };
	struct job job;
	int rc = job_load(&job, argv[optind], &e);
	struct fetch_result res = { 0 };
	if (!rc)
		rc = fetch_job(ctx->store, &job, &res, &e);
	if (rc) {
		log_error("%s", e.msg);
		job_release(&job);
		fetch_result_release(&res);
		return -rc;
	}
	for (size_t i = 0; i < res.nnames; i++)
		printf("%s: fetched %s\n", job.name, res.names[i]);
	printf("%s: %d fetched, %d fetched before, %d refused, %d not taken this time; inbox "
	       "%s/inbox\n",
	       job.name, res.fetched, res.known, res.refused, res.failed, job.root);
	int status = res.refused || res.failed ? KASI_FINDINGS : KASI_OK;
	job_release(&job);
	fetch_result_release(&res);
	return status;
}
