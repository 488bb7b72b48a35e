/*
 * sftp.c — the SFTP client (see sftp.h): for now, libssh's version only.
 */
#include "core/common.h"
#include "io/sftp.h"

#include <libssh/libssh.h>

const char *sftp_library_version(void)
{
	return ssh_version(0);
}
