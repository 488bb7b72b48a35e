/*
 * keyset.c — exact duplicate detection in bounded memory (see keyset.h).
 *
 * In memory: an append-only log of records {hash, row, len, key bytes}
 * in row order, indexed by an open-addressing table of (hash, offset).
 *
 * Spilling: when the log and table would pass the budget, every logged
 * record is written, still in row order, to one of FANOUT temporary
 * files chosen by PART_BITS bits of its hash, and the memory is freed;
 * later keys go straight to their partition. A duplicate pair always
 * lands in the same partition, so keyset_finish() can replay each
 * partition through a fresh keyset of the next level (which takes the
 * next PART_BITS bits if it has to spill in turn) and report what it
 * finds. A key found to be a duplicate is not logged, so a pair reported
 * in memory is never reported again by a replay.
 */
#include "core/common.h"
#include "core/hash.h"
#include "io/keyset.h"

#include <sys/random.h>

#define PART_BITS  6
#define FANOUT	   (1 << PART_BITS)
#define MAX_LEVEL  8  /* 8 * 6 bits of partitioning, then stay in memory */
#define REC_HEADER 20 /* u64 hash, u64 row, u32 len */

/* A table slot: the hash's high 32 bits as a tag (the low bits chose
 * the slot) beside the record's log offset, so a probe touches one cache
 * line and the table costs 8 bytes a slot. The log stays under 4 GiB:
 * the budget is capped well below that, and add_hashed() refuses to grow
 * it further (reachable only past MAX_LEVEL, where spilling stops). */
struct slot {
	uint32_t tag;
	uint32_t off; /* offset + 1 into log; 0 = empty */
};

static uint32_t tag_of(uint64_t hash)
{
	return (uint32_t)(hash >> 32);
}

struct keyset {
	uint64_t seed;
	int level;
	size_t budget;

	char *log;
	size_t log_len, log_cap;
	struct slot *slots;
	size_t nslots, nused;

	FILE *part[FANOUT];
	int spilled;
};

static int keyset_new_level(struct keyset **out, size_t budget, uint64_t seed, int level,
			    struct err *e)
{
	struct keyset *ks = calloc(1, sizeof(*ks));
	*out = ks;
	if (!ks)
		return err_set(e, KASI_EIO, "out of memory");
	ks->budget = budget ? budget : KEYSET_DEFAULT_BUDGET;
	if (ks->budget > (1u << 30))
		ks->budget = 1u << 30;
	ks->seed = seed;
	ks->level = level;
	return 0;
}

int keyset_new(struct keyset **out, size_t budget, struct err *e)
{
	uint64_t seed = 0x6b617369u; /* "kasi", if the kernel will not say */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed ^= (uint64_t)getpid() << 32;
	return keyset_new_level(out, budget, seed, 0, e);
}

static unsigned partition_of(const struct keyset *ks, uint64_t hash)
{
	return (unsigned)(hash >> (64 - PART_BITS * (ks->level + 1))) & (FANOUT - 1);
}

static FILE *temp_file(struct err *e)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/kasi-keys-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		err_sys(e, KASI_EIO, "cannot create a temporary file in '%s'",
			dir && *dir ? dir : "/tmp");
		return NULL;
	}
	unlink(path);
	FILE *f = fdopen(fd, "w+b");
	if (!f) {
		err_sys(e, KASI_EIO, "cannot open a temporary file");
		close(fd);
	}
	return f;
}

static int write_record(FILE *f, uint64_t hash, uint64_t row, const void *key, uint32_t n,
			struct err *e)
{
	char hdr[REC_HEADER];
	memcpy(hdr, &hash, 8);
	memcpy(hdr + 8, &row, 8);
	memcpy(hdr + 16, &n, 4);
	if (fwrite(hdr, 1, REC_HEADER, f) != REC_HEADER || (n && fwrite(key, 1, n, f) != n))
		return err_sys(e, KASI_EIO, "cannot write a temporary file");
	return 0;
}

static int spill(struct keyset *ks, struct err *e)
{
	for (int i = 0; i < FANOUT; i++) {
		ks->part[i] = temp_file(e);
		if (!ks->part[i])
			return -KASI_EIO;
	}
	for (size_t off = 0; off < ks->log_len;) {
		uint64_t hash, row;
		uint32_t n;
		memcpy(&hash, ks->log + off, 8);
		memcpy(&row, ks->log + off + 8, 8);
		memcpy(&n, ks->log + off + 16, 4);
		int rc = write_record(ks->part[partition_of(ks, hash)], hash, row,
				      ks->log + off + REC_HEADER, n, e);
		if (rc)
			return rc;
		off += REC_HEADER + n;
	}
	free(ks->log);
	free(ks->slots);
	ks->log = NULL;
	ks->slots = NULL;
	ks->log_len = ks->log_cap = ks->nslots = ks->nused = 0;
	ks->spilled = 1;
	return 0;
}

static int rehash(struct keyset *ks, size_t nslots, struct err *e)
{
	/* Not calloc: its fresh pages would be read (probing) before being
	 * written, mapping the shared zero page first, and the first write
	 * would then fault and flush the TLB of every core. */
	struct slot *ns = malloc(nslots * sizeof(*ns));
	if (!ns)
		return err_set(e, KASI_EIO, "out of memory");
	memset(ns, 0, nslots * sizeof(*ns));
	for (size_t i = 0; i < ks->nslots; i++) {
		if (!ks->slots[i].off)
			continue;
		/* The slot index is the hash's low bits, kept in the record. */
		uint64_t hash;
		memcpy(&hash, ks->log + ks->slots[i].off - 1, 8);
		size_t j = hash & (nslots - 1);
		while (ns[j].off)
			j = (j + 1) & (nslots - 1);
		ns[j] = ks->slots[i];
	}
	free(ks->slots);
	ks->slots = ns;
	ks->nslots = nslots;
	return 0;
}

/* Make room for one more record of n key bytes: grow the table to keep
 * its load under one half, and the log by doubling, but never past the
 * budget; spill when the record cannot fit within it. Returns 0, or a
 * negative status. */
static int make_room(struct keyset *ks, size_t n, struct err *e)
{
	size_t need_log = ks->log_len + REC_HEADER + n;
	size_t new_slots = ks->nslots ? ks->nslots : 4096;
	while ((ks->nused + 1) * 2 > new_slots)
		new_slots *= 2;
	size_t new_cap = ks->log_cap;
	if (need_log > new_cap) {
		new_cap = new_cap ? new_cap * 2 : 64 * 1024;
		while (new_cap < need_log)
			new_cap *= 2;
	}

	if (ks->level < MAX_LEVEL && ks->nused > 0) {
		size_t table = new_slots * sizeof(struct slot);
		if (table + need_log > ks->budget)
			return spill(ks, e);
		if (table + new_cap > ks->budget)
			new_cap = ks->budget - table; /* the last growth */
	}

	if (new_cap != ks->log_cap) {
		char *nl = realloc(ks->log, new_cap);
		if (!nl)
			return err_set(e, KASI_EIO, "out of memory");
		ks->log = nl;
		ks->log_cap = new_cap;
	}
	if (new_slots != ks->nslots)
		return rehash(ks, new_slots, e);
	return 0;
}

static int add_hashed(struct keyset *ks, uint64_t hash, const void *key, size_t n, uint64_t row,
		      uint64_t *first_row, struct err *e)
{
	if (ks->spilled) {
		int rc = write_record(ks->part[partition_of(ks, hash)], hash, row, key, (uint32_t)n,
				      e);
		return rc ? rc : KEYSET_DEFERRED;
	}
	if (ks->nslots) {
		size_t mask = ks->nslots - 1;
		uint32_t tag = tag_of(hash);
		for (size_t i = hash & mask; ks->slots[i].off; i = (i + 1) & mask) {
			if (ks->slots[i].tag != tag)
				continue;
			const char *rec = ks->log + ks->slots[i].off - 1;
			uint32_t len;
			memcpy(&len, rec + 16, 4);
			if (len == n && !memcmp(rec + REC_HEADER, key, n)) {
				memcpy(first_row, rec + 8, 8);
				return KEYSET_DUP;
			}
		}
	}
	int rc = make_room(ks, n, e);
	if (rc)
		return rc;
	if (ks->spilled)
		return add_hashed(ks, hash, key, n, row, first_row, e);
	if (ks->log_len + REC_HEADER + n >= UINT32_MAX)
		return err_set(e, KASI_EIO, "too many keys to check for uniqueness");

	size_t off = ks->log_len;
	uint32_t len = (uint32_t)n;
	memcpy(ks->log + off, &hash, 8);
	memcpy(ks->log + off + 8, &row, 8);
	memcpy(ks->log + off + 16, &len, 4);
	if (n)
		memcpy(ks->log + off + REC_HEADER, key, n);
	ks->log_len += REC_HEADER + n;

	size_t mask = ks->nslots - 1, i = hash & mask;
	while (ks->slots[i].off)
		i = (i + 1) & mask;
	ks->slots[i].tag = tag_of(hash);
	ks->slots[i].off = (uint32_t)off + 1;
	ks->nused++;
	return KEYSET_NEW;
}

int keyset_add(struct keyset *ks, const void *key, size_t n, uint64_t row, uint64_t *first_row,
	       struct err *e)
{
	return add_hashed(ks, hash_bytes(key, n, ks->seed), key, n, row, first_row, e);
}

/* Replay one partition file through a keyset of the next level. */
static int replay(struct keyset *parent, FILE *f, keyset_dup_fn fn, void *ctx, struct err *e)
{
	struct keyset *child = NULL;
	char *key = NULL;
	size_t key_cap = 0;
	int rc = keyset_new_level(&child, parent->budget, parent->seed, parent->level + 1, e);
	if (rc)
		goto out;
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
		rc = err_sys(e, KASI_EIO, "cannot read back a temporary file");
		goto out;
	}
	char hdr[REC_HEADER];
	while (fread(hdr, 1, REC_HEADER, f) == REC_HEADER) {
		uint64_t hash, row, first;
		uint32_t n;
		memcpy(&hash, hdr, 8);
		memcpy(&row, hdr + 8, 8);
		memcpy(&n, hdr + 16, 4);
		if (n > key_cap) {
			char *nk = realloc(key, n);
			if (!nk) {
				rc = err_set(e, KASI_EIO, "out of memory");
				goto out;
			}
			key = nk;
			key_cap = n;
		}
		if (n && fread(key, 1, n, f) != n) {
			rc = err_set(e, KASI_EIO, "temporary file truncated");
			goto out;
		}
		rc = add_hashed(child, hash, key, n, row, &first, e);
		if (rc < 0)
			goto out;
		if (rc == KEYSET_DUP)
			fn(ctx, first, row, key, n);
		rc = 0;
	}
	if (ferror(f)) {
		rc = err_sys(e, KASI_EIO, "cannot read back a temporary file");
		goto out;
	}
	rc = keyset_finish(child, fn, ctx, e);
out:
	keyset_free(child);
	free(key);
	return rc;
}

int keyset_finish(struct keyset *ks, keyset_dup_fn fn, void *ctx, struct err *e)
{
	if (!ks->spilled)
		return 0;
	for (int i = 0; i < FANOUT; i++) {
		if (!ks->part[i])
			continue; /* replayed by an earlier call */
		int rc = replay(ks, ks->part[i], fn, ctx, e);
		fclose(ks->part[i]);
		ks->part[i] = NULL;
		if (rc)
			return rc;
	}
	return 0;
}

int keyset_spilled(const struct keyset *ks)
{
	return ks->spilled;
}

void keyset_free(struct keyset *ks)
{
	if (!ks)
		return;
	for (int i = 0; i < FANOUT; i++)
		if (ks->part[i])
			fclose(ks->part[i]);
	free(ks->log);
	free(ks->slots);
	free(ks);
}
