/*
 * gen_world: a deterministic collections house for the core benchmark.
 *
 *   gen_world --policies N --out DIR [--seed S] [--scatter-ids]
 *
 * Writes DIR/products.csv, DIR/policies.csv (N policies), DIR/ledger.csv
 * and a month of daily channel files for October 2026, about one fact per
 * policy (~N facts):
 *
 *   40% Softy Comp: one debit on the policy's debit day; 5% of them come
 *       back unpaid three days later (four in five naming the original,
 *       the rest linked by collectionId and cycle date)
 *   30% Collexia: one instruction each: 85% completed, 5% submitted then
 *       completed, 7% rejected with a reason code, 3% tracking (TR75)
 *   30% EasyPay: one topup each (90% settled, 5% pending, 5% failed), a
 *       cashout for one in thirty, every row in our ledger but for one in
 *       a hundred, plus a ledger-only record for one in a hundred
 *
 * Transaction ids follow the time they happened, as the channels' own do
 * (their documentation: Softy Comp's transactionId is its table's primary key;
 * EasyPay's read "EP_TXN_20260116_001"; Collexia's remoteReferenceNo is
 * the collection house's own, numbered per submission day): each day's
 * ids come after the last day's. --scatter-ids numbers them in no order at
 * all instead (each the same place, scrambled), to see what that costs.
 *
 * The same arguments always write the same bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(73);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

#define DAYS 31
static FILE *sc[DAYS + 5], *cx[DAYS + 5], *ep[DAYS + 5];

static FILE *day_file(FILE **files, const char *dir, const char *prefix, const char *header,
		      int day)
{
	if (!files[day]) {
		char name[128];
		int month = day > DAYS ? 11 : 10, dd = day > DAYS ? day - DAYS : day;
		snprintf(name, sizeof(name), "%s_2026%02d%02d.csv", prefix, month, dd);
		files[day] = open_out(dir, name);
		fputs(header, files[day]);
	}
	return files[day];
}

static const char *const sc_header =
	"transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,"
	"generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription\n";
static const char *const cx_header =
	"remoteReferenceNo,contractReference,messageDate,status,statusDate,statusTime,"
	"transactionAmount,amountPaidOut,responseCode,responseDescription\n";
static const char *const ep_header =
	"transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,"
	"transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number\n";

static int scatter;

/* The n-th id of a day: in order, or scrambled (times an odd number not
 * divisible by 5, modulo 10^9: each day-and-number still its own id). */
static unsigned long long id_of(unsigned day, unsigned n)
{
	unsigned long long x = day * 100000ULL + n;
	return scatter ? x * 2654435761ULL % 1000000000ULL : x;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	const char *dir = NULL;
	unsigned long long seed = 2026;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scatter-ids")) {
			scatter = 1;
			continue;
		}
		if (i + 1 == argc)
			break;
		if (!strcmp(argv[i], "--policies"))
			n = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--out"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 10);
		i++;
	}
	if (!n || !dir) {
		fputs("usage: gen_world --policies N --out DIR [--seed S] [--scatter-ids]\n",
		      stderr);
		return 64;
	}
	rng_state = seed;

	FILE *pr = open_out(dir, "products.csv");
	fputs("product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,"
	      "payout_bank_id,payout_account\n"
	      "FUNERAL_01,Old Mutual EasiFlex Funeral Plan,OLDMUTUAL,Old Mutual Life Assurance,"
	      "350,2.50,64,62001234567\n"
	      "LIFE_02,Hollard Family Life Cover,HOLLARD,Hollard Life Assurance,250,0.00,65,"
	      "000123456789\n"
	      "FUNERAL_03,Sanlam Funeral Cover,SANLAM,Sanlam Life,300,1.00,66,4455667788\n",
	      pr);
	fclose(pr);
	static const char *const products[] = { "FUNERAL_01", "LIFE_02", "FUNERAL_03" };

	FILE *po = open_out(dir, "policies.csv");
	fputs("policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,"
	      "easypay_code,debit_day,status,start_date,cancel_date\n",
	      po);
	FILE *le = open_out(dir, "ledger.csv");
	fputs("transaction_id,channel,reference,transaction_timestamp,amount,status\n", le);

	/* Each day's next id, per channel (days past the month: November). */
	static unsigned sc_next[DAYS + 5], cx_next[DAYS + 5], ep_next[DAYS + 5];
	for (unsigned long i = 1; i <= n; i++) {
		unsigned channel = i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : 2;
		unsigned premium = 50 + rng_below(950);
		unsigned cents = rng_below(4) ? 0 : rng_below(100);
		unsigned day = 1 + rng_below(28);
		char id[16] = "";
		if (rng_below(2)) {
			snprintf(id, sizeof(id), "%02u%02u%02u%06u", 50 + rng_below(50),
				 1 + rng_below(12), 1 + rng_below(28), rng_below(1000000));
			luhn_complete(id, 12);
		}
		char code[16];
		snprintf(code, sizeof(code), "9%012lu", i);
		luhn_complete(code, 13);
		unsigned lapsed = rng_below(200) == 0;
		const char *status = lapsed ? "lapsed" : "active";
		const char *product = products[i % 3];

		char ref[24] = "";
		if (channel == 0)
			snprintf(ref, sizeof(ref), "%lu", 1000000 + i);
		else if (channel == 1)
			snprintf(ref, sizeof(ref), "CX%08lu", i);
		char debit_day[8] = ""; /* empty for EasyPay */
		if (channel != 2)
			snprintf(debit_day, sizeof(debit_day), "%u", day);
		fprintf(po, "POL-%07lu,%s,Customer %lu,%s,%u.%02u,%s,%s,%s,%s,%s,2025-%02u-01,\n",
			i, product, i, id, premium, cents,
			channel == 0   ? "softycomp"
			: channel == 1 ? "collexia"
				       : "easypay",
			ref, channel == 2 ? code : "", debit_day, status, 1 + (unsigned)(i % 12));

		if (channel == 0) {
			unsigned long long t = 5000000000ULL + id_of(day, ++sc_next[day]);
			FILE *f = day_file(sc, dir, "softycomp_transactions", sc_header, (int)day);
			fprintf(f,
				"%llu,%u,%lu,%s,2026-10-%02uT00:00:00,-%u.%02u,SOFTY %07lu,1,"
				"2026-10-%02uT00:00:00,,\n",
				t, 4 + (unsigned)(i % 2), 500000 + i, ref, day, premium, cents, i,
				day);
			if (rng_below(20) == 0) {
				unsigned back = day + 3;
				FILE *u = day_file(sc, dir, "softycomp_transactions", sc_header,
						   (int)back);
				char orig[24] = "";
				if (rng_below(5))
					snprintf(orig, sizeof(orig), "%llu", t);
				fprintf(u,
					"%llu,7,%lu,%s,2026-%02u-%02uT00:00:00,-%u.%02u,SOFTY %07lu,1,"
					"2026-10-%02uT00:00:00,%s,%s\n",
					5000000000ULL + id_of(back, ++sc_next[back]), 500000 + i,
					ref, back > DAYS ? 11 : 10,
					back > DAYS ? back - DAYS : back, premium, cents, i, day,
					orig,
					rng_below(2) ? "PAAF Insufficient Funds"
						     : "Account Closed");
			}
		} else if (channel == 1) {
			FILE *f = day_file(cx, dir, "collexia_results", cx_header, (int)day);
			unsigned r = rng_below(100);
			char rrn[24];
			snprintf(rrn, sizeof(rrn), "R%09llu", id_of(day, ++cx_next[day]));
			if (r >= 85 && r < 90)
				fprintf(f, "%s,%s,202610%02u,6,202610%02u,090000,%u.%02u,0,,\n",
					rrn, ref, day, day, premium, cents);
			if (r < 90)
				fprintf(f,
					"%s,%s,202610%02u,3,202610%02u,140000,%u.%02u,%u.%02u,0,"
					"Transaction Successful\n",
					rrn, ref, day, day, premium, cents, premium, cents);
			else if (r < 97)
				fprintf(f,
					"%s,%s,202610%02u,4,202610%02u,140000,%u.%02u,0,02,"
					"Insufficient Funds (Rejected)\n",
					rrn, ref, day, day, premium, cents);
			else
				fprintf(f,
					"%s,%s,202610%02u,4,202610%02u,140000,%u.%02u,0,TR75,"
					"Insufficient Funds (Tracking)\n",
					rrn, ref, day, day, premium, cents);
		} else {
			FILE *f = day_file(ep, dir, "easypay_recon", ep_header, (int)day);
			unsigned s = rng_below(100);
			const char *st = s < 90 ? "settled" : s < 95 ? "pending" : "failed";
			unsigned secs = rng_below(72000);
			char txn[32];
			snprintf(txn, sizeof(txn), "EP_TXN_%09llu", id_of(day, ++ep_next[day]));
			fprintf(f,
				"%s,%s,topup,EP_MERCHANT_%05u,EP_TERMINAL_%03u,,2026-10-%02uT%02u:%02u:%02u+02:00,"
				"%u.%02u,%s,Spar - Soweto,RCP-%06u\n",
				txn, code, rng_below(100000), rng_below(1000), day, 2 + secs / 3600,
				secs / 60 % 60, secs % 60, premium, cents, st, rng_below(1000000));
			if (rng_below(100))
				fprintf(le,
					"%s,easypay,%s,2026-10-%02uT%02u:%02u:%02u+02:00,%u.%02u,%s\n",
					txn, code, day, 2 + secs / 3600, secs / 60 % 60, secs % 60,
					premium, cents, st);
			if (rng_below(100) == 0)
				fprintf(le,
					"EP_TXN_202610%02u_L%07lu,easypay,%s,2026-10-%02uT12:00:00+02:00,"
					"%u.00,settled\n",
					day, i, code, day, premium);
			if (rng_below(30) == 0) {
				char wallet[16]; /* a wallet's code, no policy's */
				snprintf(wallet, sizeof(wallet), "99%011lu", i);
				luhn_complete(wallet, 13);
				snprintf(txn, sizeof(txn), "EP_TXN_%09llu",
					 id_of(day, ++ep_next[day]));
				fprintf(f,
					"%s,%s,cashout,EP_MERCHANT_00001,EP_TERMINAL_001,,2026-10-%02uT12:00:00+02:00,"
					"%u.00,settled,Spar - Soweto,RCP-000001\n",
					txn, wallet, day, 50 + rng_below(500));
			}
		}
	}
	fclose(po);
	fclose(le);
	for (int d = 0; d < DAYS + 5; d++) {
		if (sc[d])
			fclose(sc[d]);
		if (cx[d])
			fclose(cx[d]);
		if (ep[d])
			fclose(ep[d]);
	}
	return 0;
}
