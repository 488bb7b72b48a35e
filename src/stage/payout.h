/*
 * payout.h — payout instructions: a batch with a positive net is paid to
 * its provider by EFT, as one EnCr Transfer Request of the collection
 * switch (a JSON document), and the switch's confirmations move the
 * payout to paid, mismatched, rejected or in progress.
 *
 * The instruction's `to` side is the account kept with the payout when
 * its batch was made (the provider's payout details in products then);
 * the collections house's own side (its ids at the switch, its account)
 * comes from a payout configuration, an INI file:
 *
 *   [payouts]
 *   remoteGid = 39             fromGlobalId = 18113
 *   fromAccountNo = 1234567    fromAccountType = 2     fromBanId = 65
 *   systemUserName = cxuser    frontEndUserName = kasi
 *   uacId = 45                 toAccountType = 1
 *
 * (one key a line) found at $KASI_PAYOUTS, else payouts.conf beside the
 * store. Every key but toAccountType (default 1) must be given: no
 * instruction is ever written without the house's account.
 */
#ifndef KASI_PAYOUT_H
#define KASI_PAYOUT_H

#include <stdbool.h>

#include "core/err.h"
#include "store/store.h"

struct payout_house {
	char path[512];
	int64_t remote_gid, from_global_id, from_account_type, from_ban_id, uac_id, to_account_type;
	char from_account_no[24], system_user[24], front_end_user[24];
};

/* Read the payout configuration for the store at db_path (see above),
 * opened as every input is (a regular file, never waited on). Returns 0,
 * or -KASI_ECONFIG naming the file (missing, not a regular file,
 * unreadable), and the line and key or the key missing. */
int payout_house_load(struct payout_house *h, const char *db_path, struct err *e);

/* Write the batch's payout instruction, the EnCr Transfer Request JSON,
 * into dir as payout_REFERENCE.json (mode 0600, whole or not at all);
 * its path into path. */
int payout_instruction_write(const char *dir, const struct store_batch_row *b,
			     const struct payout_house *h, char *path, size_t path_size,
			     struct err *e);

#endif
