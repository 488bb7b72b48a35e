/*
 * input.h — the one way kasi opens a file it is given to read.
 *
 * validate, load and ingest (and the reader under them) all open their
 * FILE here, so that all of them refuse the same things with the same
 * words, and none of them can block: the file is opened without waiting
 * (a named pipe with no writer would otherwise hold open() for ever) and
 * checked to be a regular file before a byte is read.
 */
#ifndef KASI_INPUT_H
#define KASI_INPUT_H

#include "core/err.h"

/* Open path for reading into *fd (blocking reads, close-on-exec).
 * Returns 0, or -KASI_ENOINPUT with a message naming path as given:
 * "cannot open 'x.csv': No such file or directory", "'in/' is a
 * directory", "'p.csv' is a named pipe, not a regular file". *fd is -1
 * on failure; the caller closes it otherwise. */
int input_open(const char *path, int *fd, struct err *e);
/* As input_open, but a symbolic link at path is not followed: refused,
 * "'x' is a symbolic link, not a regular file" (a folder of kasi's own,
 * where a link would take in a file from anywhere). */
int input_open_nofollow(const char *path, int *fd, struct err *e);

/* What a file of mode is, for a message: "a regular file", "a directory",
 * "a symbolic link", "a named pipe", "a device", "a socket". */
const char *input_kind(mode_t mode);

/* Read a small file whole (a configuration): opened as input_open does,
 * at most max bytes, NUL-terminated in *text (malloc'd: the caller frees
 * it), its length in *n. Returns 0, -KASI_ENOINPUT as input_open, or
 * -KASI_EIO (unreadable, or longer than max). */
int input_read_all(const char *path, size_t max, char **text, size_t *n, struct err *e);

/* Sync the directory at path, so that a rename or a new file in it
 * survives a crash. Returns 0 or -KASI_EIO. */
int input_sync_dir(const char *path, struct err *e);

#endif
