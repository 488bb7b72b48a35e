/*
 * fuzz_load: libFuzzer target for `kasi load`: reference data into a
 * real SQLite store, through load_file as the command calls it.
 *
 * Input: one byte choosing the kind (products, policies, ledger; modulo
 * 3), one byte choosing the store it goes into (modulo 3: empty; with the
 * fixture world's products; with its products, policies and ledger, so
 * that rows update), then the file's content. Checked: the load never
 * fails as a whole (an I/O or store error from a file is a bug: bad data
 * is a rejected file); a rejected or already-loaded file leaves the
 * store as it was.
 */
#include "fuzz.h"
#include "stage/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static const enum load_kind kinds[] = { LOAD_PRODUCTS, LOAD_POLICIES, LOAD_LEDGER };
	static const enum fuzz_store stores[] = { FUZZ_STORE_EMPTY, FUZZ_STORE_PRODUCTS,
						  FUZZ_STORE_REGISTERS };
	enum load_kind kind = kinds[data[0] % 3];
	const struct schema *schema = schema_set_find(fuzz_schemas(), load_kind_schema(kind));
	if (!schema)
		fuzz_fail("no schema %s", load_kind_schema(kind));
	const char *path;
	struct store *s = fuzz_store_copy(stores[data[1] % 3], &path);
	uint64_t before = fuzz_store_digest(path);

	int fd = fuzz_memfd(data + 2, size - 2);
	struct load_result res;
	struct err e = { 0 };
	int rc = load_file(s, schema, kind, fd, fuzz_name_for(schema), "fuzz", &res, &e);
	if (rc)
		fuzz_fail("load %s failed (%d): %s", load_kind_schema(kind), rc, e.msg);
	validation_print_text(&res.v, fuzz_devnull());
	if (res.rejected != (res.v.nerrors > 0))
		fuzz_fail("rejected, but %" PRIu64 " errors", res.v.nerrors);
	store_close(s);
	if ((res.rejected || res.same_content) && fuzz_store_digest(path) != before)
		fuzz_fail("a %s file changed the store", res.rejected ? "rejected" : "repeated");
	validation_release(&res.v);
	return 0;
}
