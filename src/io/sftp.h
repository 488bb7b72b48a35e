/*
 * sftp.h — the home of kasi's SFTP client (libssh), which will pull a
 * channel's files from its partner's server into the inbox.
 *
 * Nothing pulls files yet: for now the module links libssh and says which
 * version, so that `kasi version` tells what the SFTP client will be
 * built on.
 */
#ifndef KASI_SFTP_H
#define KASI_SFTP_H

/* The version of libssh in use, with its crypto backend
 * ("0.10.6/openssl/zlib"). */
const char *sftp_library_version(void);

#endif
