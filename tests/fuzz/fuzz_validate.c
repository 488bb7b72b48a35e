/*
 * fuzz_validate: libFuzzer target for the CSV reader + schema validation.
 *
 * Input: one byte choosing a shipped schema (modulo their number), one
 * byte of options, then the file's content. The content goes through a
 * memfd into validate_fd(), exactly as a file from disk would, and the
 * report is printed as text and JSON (to /dev/null), so rendering is
 * fuzzed too. One input in eight uses a tiny key-set budget, to drive
 * the spill-to-disk path.
 *
 * Schemas come from $KASI_SCHEMAS, else ./schemas.
 *
 * Built by scripts/fuzz.sh with clang -fsanitize=fuzzer; built with
 * tests/fuzz/replay.c instead (any compiler), it replays saved inputs —
 * that is how `make test` keeps fixtures/fuzz/ as regression cases.
 */
#include "core/common.h"
#include "stage/validate.h"

#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema_set *schemas;
static struct regex_matcher *matcher;
static FILE *devnull;

/* A file name each schema accepts, so dated schemas get their date. */
static const char *const sample_names[] = {
	"easypay_recon_20261005.csv",
	"softycomp_transactions_20261005.csv",
	"collexia_results_20261005.csv",
	"products.csv",
	"policies.csv",
	"ledger.csv",
	"unpaid_reasons.csv",
};

static const char *name_for(const struct schema *s)
{
	int32_t date;
	for (size_t i = 0; i < ARRAY_SIZE(sample_names); i++)
		if (schema_match_name(s, matcher, sample_names[i], &date) == SCHEMA_NAME_MATCH)
			return sample_names[i];
	return "unknown.csv";
}

static void init_once(void)
{
	if (schemas)
		return;
	const char *dir = getenv("KASI_SCHEMAS");
	struct err e = { 0 };
	if (schema_set_load(&schemas, dir && *dir ? dir : "schemas", &e) != 0) {
		fprintf(stderr, "fuzz_validate: %s\n", e.msg);
		abort();
	}
	matcher = regex_matcher_new();
	devnull = fopen("/dev/null", "w");
	if (!matcher || !devnull)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 2)
		return 0;
	const struct schema *s = schemas->items[data[0] % schemas->n];
	struct validate_opts opts = { .keyset_budget = (data[1] & 7) == 0 ? 512 : 0 };
	data += 2;
	size -= 2;

	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();

	struct validation v;
	struct err e = { 0 };
	int rc = validate_fd(s, fd, name_for(s), &opts, &v, &e);
	if (rc == 0) {
		validation_print_text(&v, devnull);
		validation_print_json(&v, devnull);
		/* Invariants of every report. */
		uint64_t sum = 0;
		for (int r = 0; r < RULE_COUNT; r++)
			sum += v.by_rule[r];
		if (sum != v.nerrors || v.nshown > VALIDATE_SHOWN || v.nshown > v.nerrors)
			abort();
		for (size_t i = 1; i < v.nshown; i++)
			if (v.shown[i].row < v.shown[i - 1].row)
				abort();
	}
	validation_release(&v);
	return 0;
}
