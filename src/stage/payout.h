/*
 * payout.h — payout instructions: a batch with a positive net is paid to
 * its provider by EFT, as one EnCr Transfer Request of the collection
 * switch (a JSON document), and the switch's confirmations move the
 * payout to paid, mismatched, rejected or in progress.
 *
 * The instruction's `to` side comes from the provider's payout details
 * (products: payout_bank_id, payout_account); the collections house's own
 * side (its ids at the switch, its account) from a payout configuration,
 * an INI file:
 *
 *   [payouts]
 *   remoteGid = 39             fromGlobalId = 18113
 *   fromAccountNo = 1234567    fromAccountType = 2     fromBanId = 65
 *   systemUserName = cxuser    frontEndUserName = kasi
 *   uacId = 45                 toAccountType = 1
 *
 * found at $KASI_PAYOUTS, else payouts.conf beside the store; without
 * one, those fields are written as 0 or empty, and the caller warns.
 */
#ifndef KASI_PAYOUT_H
#define KASI_PAYOUT_H

#include <stdbool.h>

#include "core/err.h"
#include "store/store.h"

struct payout_house {
	bool found; /* a configuration was read */
	char path[512];
	int64_t remote_gid, from_global_id, from_account_type, from_ban_id, uac_id, to_account_type;
	char from_account_no[24], system_user[24], front_end_user[24];
};

/* Read the payout configuration for the store at db_path (see above).
 * Returns 0 (h->found false when there is none), or -KASI_ECONFIG naming
 * the file, line and key. */
int payout_house_load(struct payout_house *h, const char *db_path, struct err *e);

/* Write the batch's payout instruction, the EnCr Transfer Request JSON,
 * into dir as payout_REFERENCE.json (mode 0600, whole or not at all);
 * its path into path. */
int payout_instruction_write(const char *dir, const struct store_batch_row *b,
			     const struct payout_house *h, char *path, size_t path_size,
			     struct err *e);

#endif
