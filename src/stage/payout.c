/*
 * payout.c — payout instructions (see payout.h).
 */
#include "core/common.h"
#include "core/dates.h"
#include "core/ini.h"
#include "core/json.h"
#include "core/money.h"
#include "io/input.h"
#include "stage/payout.h"
#include "stage/report.h"

/* ---- the house's configuration ------------------------------------------------ */

struct house_key {
	const char *name;
	size_t offset; /* into struct payout_house */
	bool text;     /* else a whole number */
	size_t size;   /* text: its buffer's size */
};

#define NUMBER(name, field)                                          \
	{                                                            \
		name, offsetof(struct payout_house, field), false, 0 \
	}
#define TEXT(name, field)                                         \
	{                                                         \
		name, offsetof(struct payout_house, field), true, \
			sizeof(((struct payout_house *)0)->field) \
	}

static const struct house_key house_keys[] = {
	NUMBER("remoteGid", remote_gid),	  NUMBER("fromGlobalId", from_global_id),
	TEXT("fromAccountNo", from_account_no),	  NUMBER("fromAccountType", from_account_type),
	NUMBER("fromBanId", from_ban_id),	  TEXT("systemUserName", system_user),
	TEXT("frontEndUserName", front_end_user), NUMBER("uacId", uac_id),
	NUMBER("toAccountType", to_account_type),
};

struct house_parse {
	struct payout_house *h;
	struct err *e;
	unsigned seen; /* bit i: house_keys[i] given */
};

static int on_house_entry(void *ctx, const char *section, const char *key, const char *value,
			  int line)
{
	struct house_parse *hp = ctx;
	if (strcmp(section, "payouts"))
		return err_set(hp->e, KASI_ECONFIG, "%s:%d: '%s' is not in a [payouts] section",
			       hp->h->path, line, key);
	for (size_t i = 0; i < ARRAY_SIZE(house_keys); i++) {
		const struct house_key *k = &house_keys[i];
		if (strcmp(k->name, key))
			continue;
		if (hp->seen & (1u << i))
			return err_set(hp->e, KASI_ECONFIG, "%s:%d: %s is given twice", hp->h->path,
				       line, key);
		hp->seen |= 1u << i;
		char *field = (char *)hp->h + k->offset;
		if (k->text) {
			bool alnum = true;
			for (const char *c = value; *c; c++)
				alnum &= isalnum((unsigned char)*c) != 0;
			if (!alnum || strlen(value) >= k->size)
				return err_set(hp->e, KASI_ECONFIG,
					       "%s:%d: %s: letters and digits, at most %zu",
					       hp->h->path, line, key, k->size - 1);
			snprintf(field, k->size, "%s", value);
			return 0;
		}
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (!*value || *end || errno || v < 0 || v > 999999999)
			return err_set(hp->e, KASI_ECONFIG, "%s:%d: %s: a whole number, got '%s'",
				       hp->h->path, line, key, value);
		*(int64_t *)(void *)field = v;
		return 0;
	}
	return err_set(hp->e, KASI_ECONFIG, "%s:%d: unknown key '%s'", hp->h->path, line, key);
}

/* The first key the configuration must give (all but toAccountType,
 * which has a default) and does not, or NULL. */
static const char *missing_key(unsigned seen)
{
	for (size_t i = 0; i < ARRAY_SIZE(house_keys); i++)
		if (strcmp(house_keys[i].name, "toAccountType") && !(seen & (1u << i)))
			return house_keys[i].name;
	return NULL;
}

int payout_house_load(struct payout_house *h, const char *db_path, struct err *e)
{
	memset(h, 0, sizeof(*h));
	h->to_account_type = 1; /* a current (cheque) account */
	const char *env = getenv("KASI_PAYOUTS");
	if (env && *env) {
		snprintf(h->path, sizeof(h->path), "%s", env);
	} else {
		const char *slash = strrchr(db_path, '/');
		int dir = slash ? (int)(slash - db_path) : 0;
		snprintf(h->path, sizeof(h->path), "%.*s%spayouts.conf", dir, db_path,
			 slash ? "/" : "");
	}
	/* Opened as every input is: never blocking on a named pipe, a
	 * regular file only. */
	char *text = NULL, why[sizeof(e->msg)];
	size_t n = 0;
	int rc = input_read_all(h->path, 16384, &text, &n, e);
	if (rc) {
		snprintf(why, sizeof(why), "%s", e->msg);
		return err_set(e, KASI_ECONFIG,
			       "the payout configuration: %s: no payout instruction is written "
			       "without the house's own account ($KASI_PAYOUTS, else payouts.conf "
			       "beside the store; see 'kasi help report')",
			       why);
	}
	char msg[256];
	int line = 0;
	struct house_parse hp = { h, e, 0 };
	rc = ini_parse(text, n, on_house_entry, &hp, &line, msg, sizeof(msg));
	free(text);
	if (rc == -1)
		return err_set(e, KASI_ECONFIG, "%s:%d: %s", h->path, line, msg);
	const char *missing = rc ? NULL : missing_key(hp.seen);
	if (missing)
		return err_set(e, KASI_ECONFIG,
			       "%s: no %s: every key but toAccountType must be given (see 'kasi "
			       "help report')",
			       h->path, missing);
	if (!rc && (!*h->from_account_no || !h->from_ban_id))
		return err_set(e, KASI_ECONFIG,
			       "%s: fromAccountNo and fromBanId must name the house's own account",
			       h->path);
	return rc;
}

/* ---- the instruction ------------------------------------------------------------- */

/* The instant it was instructed, in SAST: yyyymmdd and hhmmss. */
static void sast_stamp(const char *instant, char date[9], char time[7])
{
	int64_t utc = 0;
	snprintf(date, 9, "00000000");
	snprintf(time, 7, "000000");
	if (!instant || timestamp_parse(instant, strlen(instant), &utc) != DATE_OK)
		return;
	int64_t sast = utc + 2 * 3600;
	int64_t secs = ((sast % 86400) + 86400) % 86400;
	char iso[DATE_BUFSZ];
	date_format_iso(date_business_of(utc), iso);
	snprintf(date, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
	snprintf(time, 7, "%02d%02d%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
		 (int)(secs % 60));
}

static void write_json(FILE *f, const struct store_batch_row *b, const struct payout_house *h)
{
	char date[9], time[7], amount[MONEY_BUFSZ], through[9], reference[41];
	sast_stamp(b->instructed_at, date, time);
	money_format(b->payout_amount, amount);
	snprintf(through, sizeof(through), "%.4s%.2s%.2s", b->through, b->through + 5,
		 b->through + 8);
	/* Letters and digits only, as the switch allows: the batch and its day. */
	snprintf(reference, sizeof(reference), "KASIBATCH%" PRId64 "THROUGH%s", b->batch_id,
		 through);
	fprintf(f, "{\n  \"remoteGid\": %" PRId64 ",\n  \"remoteReferenceNo\": ", h->remote_gid);
	json_str(f, b->reference);
	fprintf(f, ",\n  \"messageDate\": \"%s\",\n  \"messageTime\": \"%s\",\n", date, time);
	fprintf(f, "  \"fromGlobalId\": %" PRId64 ",\n  \"fromAccountNo\": ", h->from_global_id);
	json_str(f, h->from_account_no);
	fprintf(f,
		",\n  \"fromAccountType\": %" PRId64 ",\n  \"fromBanId\": %" PRId64
		",\n  \"systemUserName\": ",
		h->from_account_type, h->from_ban_id);
	json_str(f, h->system_user);
	fputs(",\n  \"frontEndUserName\": ", f);
	json_str(f, h->front_end_user);
	fprintf(f, ",\n  \"transactionAmount\": %s,\n  \"ownStatementReference\": ", amount);
	json_str(f, reference);
	fputs(",\n  \"beneficiaryReference\": ", f);
	json_str(f, reference);
	fputs(",\n  \"contractReference\": \"\",\n  \"toAccountNo\": ", f);
	json_str(f, b->payout_account);
	fprintf(f,
		",\n  \"toBanId\": %" PRId64 ",\n  \"toAccountType\": %" PRId64
		",\n  \"transferAlreadyAuthed\": false,\n  \"uacId\": %" PRId64 "\n}\n",
		b->payout_bank_id, h->to_account_type, h->uac_id);
}

int payout_instruction_write(const char *dir, const struct store_batch_row *b,
			     const struct payout_house *h, char *path, size_t path_size,
			     struct err *e)
{
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%s/payout_%s.json", dir, b->reference);
	char *text = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&text, &n);
	if (!mem)
		return err_set(e, KASI_EIO, "out of memory");
	write_json(mem, b, h);
	if (fclose(mem) || !text) {
		free(text);
		return err_set(e, KASI_EIO, "out of memory");
	}
	struct report *r;
	int rc = report_open(&r, name, false, path, path_size, e);
	if (!rc && (rc = report_text(r, text, n, e)))
		report_abort(r);
	else if (!rc)
		rc = report_close(r, e);
	free(text);
	return rc;
}
