/*
 * fuzz_ingest: libFuzzer target for `kasi ingest`: a channel's file into
 * a real SQLite store that holds the fixture world's registers, through
 * ingest_file as the command calls it.
 *
 * Input: one byte choosing a channel's schema (modulo their number, in
 * name order), one byte of options (bit 0: the store also holds every
 * channel file of the world already, so that rows repeat stored ones),
 * then the file's content, named as the schema expects. Checked: the
 * ingest never fails as a whole (an I/O or store error from a file is a
 * bug: bad data is a rejected file); a rejected or duplicate file leaves
 * the store as it was, but for the record of the attempt.
 */
#include "fuzz.h"
#include "stage/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct schema_set *set = fuzz_schemas();
	const struct schema *channels[16];
	size_t n = 0;
	for (size_t i = 0; i < set->n && n < ARRAY_SIZE(channels); i++)
		if (set->items[i]->channel)
			channels[n++] = set->items[i];
	if (!n)
		fuzz_fail("no channel schemas");
	const struct schema *schema = channels[data[0] % n];
	const char *path;
	struct store *s =
		fuzz_store_copy(data[1] & 1 ? FUZZ_STORE_CHANNELS : FUZZ_STORE_REGISTERS, &path);
	uint64_t before = fuzz_store_digest(path);

	int fd = fuzz_memfd(data + 2, size - 2);
	struct ingest_result res;
	struct err e = { 0 };
	int rc = ingest_file(s, schema, fd, fuzz_name_for(schema), &res, &e);
	if (rc)
		fuzz_fail("ingest %s failed (%d): %s", schema->name, rc, e.msg);
	validation_print_text(&res.v, fuzz_devnull());
	/* Errors reject a file, unless its content was applied before: a
	 * duplicate whatever its name makes of its rows. */
	if ((res.outcome == INGEST_REJECTED) !=
	    (res.v.nerrors > 0 && res.outcome != INGEST_DUPLICATE_FILE))
		fuzz_fail("outcome %d, but %" PRIu64 " errors", (int)res.outcome, res.v.nerrors);
	store_close(s);
	if (res.outcome != INGEST_APPLIED && fuzz_store_digest(path) != before)
		fuzz_fail("a %s file changed the store",
			  res.outcome == INGEST_REJECTED ? "rejected" : "duplicate");
	ingest_result_release(&res);
	return 0;
}
