/*
 * gen_easypay: write a deterministic synthetic EasyPay reconciliation file
 * (the EasyPay daily reconciliation layout) for benchmarks.
 *
 *   gen_easypay --date YYYYMMDD --rows N [--seed S] [--out FILE] [--codes FILE]
 *
 * With --codes, each row's EasyPay code is drawn from FILE (one code a
 * line: a policy register's codes), so the rows match stored policies;
 * otherwise codes are random.
 * The same arguments always produce the same bytes (a fixed splitmix64
 * stream), so benchmark figures are comparable run to run. Every row is
 * valid for the shipped easypay_recon schema: unique transaction ids,
 * Luhn-valid 14-digit codes starting with 9, timestamps on the file's date
 * in a mix of offsets (+02:00, Z, +00:00), and about one merchant name in
 * eight quoted because it holds a comma or a doubled quote, so the quoting
 * paths of the parser are exercised, not only the fast path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static const char *const merchants[] = {
	"Pick n Pay - Sandton City",   "Checkers - Rosebank",
	"Woolworths - Mall of Africa", "Spar - Soweto",
	"Shoprite - Khayelitsha",      "Boxer - Umlazi",
	"Usave - Polokwane",
};
static const char *const quoted_merchants[] = {
	"\"Spar, Mamelodi East\"",
	"\"Joe's \"\"Best\"\" Tuckshop\"",
	"\"Pick n Pay, Canal Walk\"",
};

static int usage(void)
{
	fputs("usage: gen_easypay --date YYYYMMDD --rows N [--seed S] [--out FILE] [--codes FILE]\n",
	      stderr);
	return 64;
}

/* The codes of FILE, one a line (14 digits), into *codes; their count. */
static size_t read_codes(const char *path, char (**codes)[15])
{
	FILE *f = fopen(path, "r");
	char line[64];
	size_t n = 0, cap = 0;
	*codes = NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (strspn(line, "0123456789") != 14)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			char(*grown)[15] = realloc(*codes, cap * sizeof(**codes));
			if (!grown)
				break;
			*codes = grown;
		}
		memcpy((*codes)[n], line, 14);
		(*codes)[n++][14] = '\0';
	}
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	const char *date = NULL, *out = NULL, *codes_path = NULL;
	unsigned long long rows = 0, seed = 42;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--date"))
			date = argv[++i];
		else if (!strcmp(argv[i], "--rows"))
			rows = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (!strcmp(argv[i], "--codes"))
			codes_path = argv[++i];
		else
			return usage();
	}
	if (!date || strlen(date) != 8 || strspn(date, "0123456789") != 8)
		return usage();

	char(*codes)[15] = NULL;
	size_t ncodes = codes_path ? read_codes(codes_path, &codes) : 0;
	if (codes_path && !ncodes) {
		fprintf(stderr, "gen_easypay: no 14-digit codes in %s\n", codes_path);
		return 66;
	}
	FILE *f = out ? fopen(out, "wb") : stdout;
	if (!f) {
		perror(out);
		return 73;
	}
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	rng_state = seed;

	fputs("transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,"
	      "cashier_id,transaction_timestamp,gross_amount,settlement_status,"
	      "merchant_name,receipt_number\n",
	      f);
	char iso[11];
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", date, date + 4, date + 6);
	for (unsigned long long r = 1; r <= rows; r++) {
		char code[15];
		code[0] = '9';
		uint64_t v = rng_next();
		for (int i = 1; i < 13; i++, v /= 10)
			code[i] = (char)('0' + v % 10);
		luhn_complete(code, 13);
		if (ncodes)
			memcpy(code, codes[rng_below((unsigned)ncodes)], sizeof(code));

		unsigned secs = rng_below(86400 - 7200);
		unsigned hh = secs / 3600, mm = secs / 60 % 60, ss = secs % 60;
		const char *type = rng_below(10) < 8 ? "topup" : "cashout";
		unsigned st = rng_below(100);
		const char *status = st < 94 ? "settled" : st < 98 ? "pending" : "failed";
		unsigned amount = 50 + rng_below(3950);
		unsigned cents = rng_below(4) ? 0 : rng_below(100);
		const char *merchant =
			rng_below(8) ? merchants[rng_below(sizeof(merchants) / sizeof(*merchants))]
				     : quoted_merchants[rng_below(sizeof(quoted_merchants) /
								  sizeof(*quoted_merchants))];
		char cashier[16] = "";
		if (rng_below(5))
			snprintf(cashier, sizeof(cashier), "CASHIER_%03u", rng_below(1000));

		/* hh is at most 21 UTC, so the SAST date is the file date either way;
		 * business time is SAST, and some partners print UTC instead. */
		char when[40];
		if (rng_below(4))
			snprintf(when, sizeof(when), "%sT%02u:%02u:%02u+02:00", iso, hh + 2, mm,
				 ss);
		else
			snprintf(when, sizeof(when), "%sT%02u:%02u:%02u%s", iso, hh, mm, ss,
				 rng_below(2) ? "Z" : "+00:00");

		fprintf(f,
			"EP_TXN_%s_%08llu,%s,%s,EP_MERCHANT_%05u,EP_TERMINAL_%03u,%s,"
			"%s,%u.%02u,%s,%s,RCP-%06u\n",
			date, r, code, type, rng_below(100000), rng_below(1000), cashier, when,
			amount, cents, status, merchant, rng_below(1000000));
	}
	free(codes);
	if (fflush(f) != 0 || (out && fclose(f) != 0)) {
		perror(out ? out : "stdout");
		return 74;
	}
	return 0;
}
