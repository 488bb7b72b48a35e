/*
 * fuzz_validate: libFuzzer target for the CSV reader + schema validation.
 *
 * Input: one byte choosing a shipped schema (modulo their number, in
 * name order), one byte of options (low three bits 0: a tiny key-set
 * budget, to drive the spill-to-disk path), then the file's content. The
 * report is printed as text and JSON (to /dev/null), so rendering is
 * fuzzed too, and checked: counts add up, errors come in row order.
 */
#include "fuzz.h"
#include "stage/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct schema_set *set = fuzz_schemas();
	const struct schema *s = set->items[data[0] % set->n];
	struct validate_opts opts = { .keyset_budget = (data[1] & 7) == 0 ? 512 : 0 };
	int fd = fuzz_memfd(data + 2, size - 2);

	struct validation v;
	struct err e = { 0 };
	int rc = validate_fd(s, fd, fuzz_name_for(s), &opts, &v, &e);
	if (rc == 0) {
		validation_print_text(&v, fuzz_devnull());
		validation_print_json(&v, fuzz_devnull());
		uint64_t sum = 0;
		for (int r = 0; r < RULE_COUNT; r++)
			sum += v.by_rule[r];
		if (sum != v.nerrors || v.nshown > VALIDATE_SHOWN || v.nshown > v.nerrors)
			fuzz_fail("counts do not add up");
		for (size_t i = 1; i < v.nshown; i++)
			if (v.shown[i].row < v.shown[i - 1].row)
				fuzz_fail("errors out of row order");
	}
	validation_release(&v);
	return 0;
}
