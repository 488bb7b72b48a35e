/*
 * fuzz.h — what the fuzz targets share (tests/fuzz/fuzz_*.c).
 *
 * Each target is one LLVMFuzzerTestOneInput: built by scripts/fuzz.sh
 * with clang -fsanitize=fuzzer, or with tests/fuzz/replay.c (any
 * compiler) to replay saved inputs in `make test`. An input is one byte
 * choosing what to run (a schema, a kind), one byte of options, then the
 * file's content, which reaches kasi through a memfd exactly as a file
 * from disk would.
 *
 * Paths: $KASI_ROOT (else the current directory) holds fixtures/;
 * $KASI_SCHEMAS (else $KASI_ROOT/schemas) the schemas. Stores live in a
 * private temporary directory, removed at exit.
 */
#ifndef KASI_FUZZ_H
#define KASI_FUZZ_H

#include "core/common.h"
#include "io/schema.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print a message and abort: a failed invariant is a crash to the fuzzer. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The shipped schemas (loaded once). */
const struct schema_set *fuzz_schemas(void);

/* A file name schema s accepts (its date, for a dated one). */
const char *fuzz_name_for(const struct schema *s);

/* A memfd holding data[0..size), at offset 0. */
int fuzz_memfd(const uint8_t *data, size_t size);

/* /dev/null, to print reports into (rendering is fuzzed too). */
FILE *fuzz_devnull(void);

/* Stores to start from, built once through kasi's own load and ingest
 * from fixtures/world (aborting if that fails). */
enum fuzz_store {
	FUZZ_STORE_EMPTY,     /* kasi init */
	FUZZ_STORE_PRODUCTS,  /* and the world's products */
	FUZZ_STORE_REGISTERS, /* and its policies and ledger */
	FUZZ_STORE_CHANNELS,  /* and every channel file of the world ingested */
	FUZZ_STORE_COUNT
};

/* A fresh copy of that store, opened; *path is its file. Close it with
 * store_close before the next call. */
struct store *fuzz_store_copy(enum fuzz_store which, const char **path);

/* A digest of everything the store holds, except the record of attempts
 * (files, discrepancies): equal before and after a rejected file. */
uint64_t fuzz_store_digest(const char *path);

#endif
