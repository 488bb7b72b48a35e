/*
 * summary.c — the finance summary as one HTML page (see summary.h).
 *
 * First every figure is read into struct figures (the store's sums, the
 * worklist, the batches, debit-order health); then the page is written
 * from them, a section a function. Data reaches the page only through
 * html_text (io/html.h); numbers through money_format and printf.
 */
#include "core/common.h"
#include "core/dates.h"
#include "core/arena.h"
#include "core/grow.h"
#include "core/strmap.h"
#include "core/money.h"
#include "core/text.h"
#include "io/html.h"
#include "stage/exception.h"
#include "stage/monitor.h"
#include "stage/outcome.h"
#include "stage/summary.h"

#define TOP_EXCEPTIONS 10
#define DAYS	       31

struct group {
	const char *key; /* in the figures' arena, whole */
	int64_t policies, expected, collected, shortfall, pending;
};

struct groups {
	struct group *g;
	size_t n, cap;
	struct strmap *index; /* key -> its group */
};

struct code_ages {
	char code[40];
	int64_t count[EXCEPTION_AGES + 1], at_stake;
};

struct batch {
	int64_t id, net;
	const char *provider, *reference; /* in the figures' arena */
	char through[16], state[16];
	int64_t carried_into;
};

struct figures {
	char period[PERIOD_BUFSZ], first[DATE_BUFSZ], last[DATE_BUFSZ], until[DATE_BUFSZ];
	int ndays;
	struct groups status, providers, channels;
	int64_t policies, expected, collected, shortfall, pending;
	int64_t due[DAYS + 1];	 /* expected by debit day; [0]: no debit day (cash) */
	int64_t daily[DAYS + 1]; /* collected less taken back, by date in the period */
	int64_t reversed_after;	 /* taken back on a date after the period */
	struct exception_list open;
	struct code_ages codes[48];
	size_t ncodes;
	struct batch *batches;
	size_t nbatches, batches_cap;
	struct monitor health;
	char health_why[sizeof(((struct err *)0)->msg)]; /* "" when health was read */
	struct arena *strings;
	struct err *e;
};

/* ---- reading ---------------------------------------------------------------- */

static int sum_into(int64_t *sum, int64_t v, struct err *e)
{
	return money_add(*sum, v, sum)
		       ? err_set(e, KASI_EDATA, "the period's sums pass int64 cents")
		       : 0;
}

/* Add one outcome into the group of its key (made when new). */
static int add_to(struct figures *f, struct groups *gs, const char *key,
		  const struct store_outcome_cell *c)
{
	struct err *e = f->e;
	uint32_t i;
	struct group *g;
	if (!gs->index && !(gs->index = strmap_new()))
		return err_set(e, KASI_EIO, "out of memory");
	if (strmap_get(gs->index, key, strlen(key), &i)) {
		g = &gs->g[i];
	} else {
		if (!grow_array((void **)&gs->g, &gs->cap, gs->n + 1, sizeof(*gs->g)) ||
		    strmap_put(gs->index, key, strlen(key), (uint32_t)gs->n))
			return err_set(e, KASI_EIO, "out of memory");
		g = &gs->g[gs->n++];
		memset(g, 0, sizeof(*g));
		if (!(g->key = arena_strdup(f->strings, key)))
			return err_set(e, KASI_EIO, "out of memory");
	}
	g->policies++;
	int rc = sum_into(&g->expected, c->expected, e);
	if (!rc && !(rc = sum_into(&g->collected, c->collected, e)) &&
	    !(rc = sum_into(&g->shortfall, c->shortfall, e)))
		rc = sum_into(&g->pending, c->pending, e);
	return rc;
}

/* One outcome: into its status, provider and channel, its expected onto
 * its debit day (a day past the month's end falls on its last). */
static int on_cell(void *ctx, const struct store_outcome_cell *c)
{
	struct figures *f = ctx;
	int day = c->debit_day > f->ndays ? f->ndays : c->debit_day < 0 ? 0 : c->debit_day;
	f->policies++;
	int rc = add_to(f, &f->status, c->status, c);
	if (!rc)
		rc = add_to(f, &f->providers, c->provider, c);
	if (!rc)
		rc = add_to(f, &f->channels, c->channel, c);
	if (!rc)
		rc = sum_into(&f->due[day], c->expected, f->e);
	if (!rc && !(rc = sum_into(&f->expected, c->expected, f->e)) &&
	    !(rc = sum_into(&f->collected, c->collected, f->e)) &&
	    !(rc = sum_into(&f->shortfall, c->shortfall, f->e)))
		rc = sum_into(&f->pending, c->pending, f->e);
	return rc;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

/* The day of the month of an ISO date (validated by the store). */
static int atoi_day(const char *iso)
{
	return (int)strtol(iso + 8, NULL, 10);
}

/* Money by day of the month: a date after it (a reversal of one of its
 * collections, dated later) is counted apart. */
static int on_movement_day(void *ctx, const struct store_movement_day *d)
{
	struct figures *f = ctx;
	bool after = strcmp(d->date, f->last) > 0;
	int day = after ? f->ndays : strcmp(d->date, f->first) < 0 ? 1 : atoi_day(d->date);
	int rc = sum_into(&f->daily[day], d->collected, f->e);
	if (!rc)
		rc = after ? sum_into(&f->reversed_after, d->reversed, f->e)
			   : sum_into(&f->daily[day], -d->reversed, f->e);
	return rc;
}

static int on_batch(void *ctx, const struct store_batch_row *b)
{
	struct figures *f = ctx;
	if (strcmp(b->through, f->first) < 0 || strcmp(b->through, f->until) > 0)
		return 0;
	if (!grow_array((void **)&f->batches, &f->batches_cap, f->nbatches + 1,
			sizeof(*f->batches)))
		return err_set(f->e, KASI_EIO, "out of memory");
	struct batch *x = &f->batches[f->nbatches++];
	memset(x, 0, sizeof(*x));
	x->id = b->batch_id;
	x->net = b->net;
	x->carried_into = b->carried_into;
	snprintf(x->through, sizeof(x->through), "%s", b->through);
	snprintf(x->state, sizeof(x->state), "%s", b->reference ? b->state : "");
	x->provider = arena_strdup(f->strings, b->provider_code);
	x->reference = arena_strdup(f->strings, b->reference ? b->reference : "");
	return x->provider && x->reference ? 0 : err_set(f->e, KASI_EIO, "out of memory");
}

/* Codes with the most money at stake first, then the most exceptions. */
static int by_stake_then_count(const void *a, const void *b)
{
	const struct code_ages *x = a, *y = b;
	if (x->at_stake != y->at_stake)
		return x->at_stake > y->at_stake ? -1 : 1;
	int64_t nx = 0, ny = 0;
	for (int k = 0; k <= EXCEPTION_AGES; k++) {
		nx += x->count[k];
		ny += y->count[k];
	}
	return (nx < ny) - (nx > ny);
}

/* The open exceptions counted by code and age. */
static void count_codes(struct figures *f)
{
	for (size_t i = 0; i < f->open.n; i++) {
		const struct exception_item *it = &f->open.items[i];
		size_t c = 0;
		while (c < f->ncodes && strcmp(f->codes[c].code, it->x.code))
			c++;
		if (c == f->ncodes) {
			if (c == ARRAY_SIZE(f->codes))
				continue;
			snprintf(f->codes[c].code, sizeof(f->codes[c].code), "%s", it->x.code);
			f->ncodes++;
		}
		f->codes[c].count[it->age]++;
		f->codes[c].at_stake += it->at_stake; /* under the list's checked total */
	}
	if (f->ncodes > 1)
		qsort(f->codes, f->ncodes, sizeof(*f->codes), by_stake_then_count);
}

static int read_figures(struct store *s, const struct summary_opts *o, struct figures *f)
{
	int32_t p;
	if (period_parse(o->period, strlen(o->period), &p) != DATE_OK)
		return err_set(f->e, KASI_EUSAGE, "'%s' is not a period (YYYY-MM)", o->period);
	period_format(p, f->period);
	date_format_iso(period_first_day(p), f->first);
	date_format_iso(period_last_day(p), f->last);
	date_format_iso(period_last_day(p + 1), f->until);
	f->ndays = period_last_day(p) - period_first_day(p) + 1;
	if (!date_in_service(period_first_day(p)) || !date_in_service(period_last_day(p + 1)))
		return err_set(f->e, KASI_EUSAGE, "period %s is outside the years kasi runs in",
			       o->period);
	/* Checked again in the page's own snapshot: a run may have committed
	 * since the caller looked. */
	struct store_period sp;
	int found = store_period_get(s, f->period, &sp, f->e);
	if (found < 0)
		return found;
	if (!found || !*sp.reconciled_at || sp.files_since_reconciled)
		return err_set(f->e, KASI_EDATA,
			       "period %s is not reconciled, or facts changed since its last "
			       "reconcile: run 'kasi reconcile --period %s'",
			       f->period, f->period);
	int rc = store_each_outcome_cell(s, f->period, on_cell, f, f->e);
	if (!rc && f->providers.n > 1)
		qsort(f->providers.g, f->providers.n, sizeof(*f->providers.g), by_key);
	if (!rc && f->channels.n > 1)
		qsort(f->channels.g, f->channels.n, sizeof(*f->channels.g), by_key);
	if (!rc)
		rc = store_each_movement_day(s, f->period, on_movement_day, f, f->e);
	if (!rc)
		rc = exception_list_build(s, f->period, false, o->now, &f->open, f->e);
	if (!rc)
		count_codes(f);
	if (!rc)
		rc = store_each_batch(s, NULL, on_batch, f, f->e);
	if (!rc) {
		struct err he = { 0 };
		int hrc = monitor_build(s, o->reasons, o->limits, f->period, &f->health, &he);
		if (hrc == -KASI_EDATA)
			snprintf(f->health_why, sizeof(f->health_why), "%s", he.msg);
		else if (hrc)
			rc = err_set(f->e, -hrc, "%s", he.msg);
	}
	return rc;
}

static void release_figures(struct figures *f)
{
	struct groups *all[] = { &f->status, &f->providers, &f->channels };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		free(all[i]->g);
		strmap_free(all[i]->index);
	}
	arena_free(f->strings);
	free(f->batches);
	exception_list_release(&f->open);
	monitor_release(&f->health);
}

/* ---- writing ---------------------------------------------------------------- */

static const char style[] =
	"<style>\n"
	":root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--paid:#1a7f37;--part:#bf8700;"
	"--unpaid:#cf222e;--cancel:#8c959f;--bar:#0969da;--limit:#cf222e}\n"
	"*{box-sizing:border-box}\n"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);"
	"margin:0 auto;max-width:980px;padding:16px}\n"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.6em 0 .4em;"
	"border-bottom:1px solid var(--line);padding-bottom:.2em}\n"
	"p.note{color:var(--muted);font-size:.9em;margin:.3em 0}\n"
	"table{border-collapse:collapse;width:100%;margin:.4em 0}\n"
	"th,td{padding:4px 6px;border-bottom:1px solid var(--line);text-align:right;"
	"white-space:nowrap;vertical-align:middle}\n"
	"th:first-child,td:first-child,.t{text-align:left}\n"
	".t{white-space:normal;overflow-wrap:anywhere}\n"
	"th{font-weight:600;color:var(--muted);font-size:.85em}\n"
	"td.bar{width:35%;min-width:60px}td.bar svg{display:block;width:100%;height:14px}\n"
	".kpi{display:flex;flex-wrap:wrap;gap:8px}.kpi div{flex:1 1 140px;border:1px solid "
	"var(--line);border-radius:6px;padding:8px}.kpi b{display:block;font-size:1.25em}\n"
	"svg.chart{display:block;width:100%;max-width:640px;height:auto}\n"
	".breach{color:var(--limit);font-weight:600}\n"
	"@media (max-width:520px){body{font-size:13px;padding:8px}th,td{padding:3px 3px}"
	"td.bar{width:22%;min-width:40px}.opt{display:none}}\n"
	"@media print{body{max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}\n"
	"</style>\n";

/* An amount's cell; with an id (for a reader, or a test, to find it),
 * and optional ones hidden on a narrow screen. */
static void money_cell(FILE *out, const char *id, int64_t cents, bool optional)
{
	char m[MONEY_BUFSZ];
	money_format(cents, m);
	fprintf(out, "<td%s%s%s%s>%s</td>", id ? " id=\"" : "", id ? id : "", id ? "\"" : "",
		optional ? " class=\"opt\"" : "", m);
}

/* A bar of value over whole (0..100% of its cell), in a colour, with an
 * optional limit marker (basis points of the cell; <0: none). */
static void bar_cell(FILE *out, int64_t value, int64_t whole, const char *colour, int64_t limit_bps)
{
	int64_t w = whole > 0 && value > 0 ? (value * 1000 + whole / 2) / whole : 0;
	w = w > 1000 ? 1000 : w;
	fprintf(out,
		"<td class=\"bar\"><svg viewBox=\"0 0 1000 14\" preserveAspectRatio=\"none\" "
		"aria-hidden=\"true\"><rect width=\"1000\" height=\"14\" fill=\"#eaeef2\"/>"
		"<rect width=\"%" PRId64 "\" height=\"14\" fill=\"%s\"/>",
		w, colour);
	if (limit_bps >= 0) {
		int64_t x = limit_bps / 10 > 1000 ? 1000 : limit_bps / 10;
		fprintf(out,
			"<rect x=\"%" PRId64 "\" width=\"6\" height=\"14\" fill=\"var(--limit)\"/>",
			x > 994 ? 994 : x);
	}
	fputs("</svg></td>", out);
}

/* n of d as "12.34%", or "-" (nothing to divide by). */
static void percent_cell(FILE *out, int64_t n, int64_t d, const char *class)
{
	char p[MONITOR_PERCENT_BUFSZ];
	fprintf(out, "<td%s%s%s>%s%s</td>", class ? " class=\"" : "", class ? class : "",
		class ? "\"" : "", monitor_percent(n, d, p) ? p : "-", d > 0 ? "%" : "");
}

static void write_head(FILE *out, const struct figures *f, const struct summary_opts *o)
{
	char m[4][MONEY_BUFSZ];
	money_format(f->expected, m[0]);
	money_format(f->collected, m[1]);
	money_format(f->shortfall, m[2]);
	money_format(f->pending, m[3]);
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>Collections %s: finance summary</title>\n%s</head><body>\n"
		"<header><h1>Collections, %s</h1>\n",
		f->period, style, f->period);
	char day[DATE_BUFSZ];
	date_format_iso(date_business_of(o->now), day);
	fprintf(out, "<p class=\"note\">As reconciled; written %s (SAST) by kasi %s.</p>\n", day,
		o->version);
	fprintf(out,
		"<div class=\"kpi\"><div>policies<b id=\"policies\">%" PRId64 "</b></div>"
		"<div>expected<b id=\"expected\">%s</b></div><div>collected<b id=\"collected\">%s"
		"</b></div><div>shortfall<b id=\"shortfall\">%s</b></div><div>pending<b "
		"id=\"pending\">%s</b></div></div></header>\n",
		f->policies, m[0], m[1], m[2], m[3]);
}

/* A code (PAYMENT_ON_INACTIVE_POLICY) that a narrow screen may break
 * after an underscore, and nowhere else. */
static void code_text(FILE *out, const char *code)
{
	char part[64];
	for (const char *p = code; *p;) {
		size_t n = strcspn(p, "_");
		n = n < sizeof(part) - 2 ? n : sizeof(part) - 2;
		snprintf(part, sizeof(part), "%.*s%s", (int)n, p, p[n] == '_' ? "_" : "");
		html_text(out, part);
		p += n + (p[n] == '_');
		if (*p)
			fputs("<wbr>", out);
	}
}

static const char *status_colour(const char *status)
{
	return !strcmp(status, "PAID_FULL")	 ? "var(--paid)"
	       : !strcmp(status, "PAID_PARTIAL") ? "var(--part)"
	       : !strcmp(status, "UNPAID")	 ? "var(--unpaid)"
						 : "var(--cancel)";
}

static void write_outcomes(FILE *out, const struct figures *f)
{
	fputs("<section id=\"outcomes\"><h2>Outcomes by status</h2>\n<table><tr><th>status</th>"
	      "<th>policies</th><th></th><th>expected</th><th>collected</th>"
	      "<th class=\"opt\">shortfall</th><th class=\"opt\">pending</th></tr>\n",
	      out);
	/* In the statuses' own order: paid, partly, unpaid, cancelled. */
	for (int k = 0; k <= OUTCOME_STATUS_COUNT; k++) {
		size_t i = 0;
		while (i < f->status.n && (int)outcome_status_parse(f->status.g[i].key) != k)
			i++;
		if (i == f->status.n)
			continue;
		const struct group *g = &f->status.g[i];
		char id[96];
		fputs("<tr><td class=\"t\">", out);
		code_text(out, g->key);
		fprintf(out, "</td><td id=\"status-%s\">%" PRId64 "</td>",
			outcome_status_parse(g->key) < OUTCOME_STATUS_COUNT ? g->key : "other",
			g->policies);
		bar_cell(out, g->policies, f->policies, status_colour(g->key), -1);
		snprintf(id, sizeof(id), "status-%s-collected",
			 outcome_status_parse(g->key) < OUTCOME_STATUS_COUNT ? g->key : "other");
		money_cell(out, NULL, g->expected, false);
		money_cell(out, id, g->collected, false);
		money_cell(out, NULL, g->shortfall, true);
		money_cell(out, NULL, g->pending, true);
		fputs("</tr>\n", out);
	}
	fputs("</table></section>\n", out);
}

static void write_rates(FILE *out, const char *title, const char *id, const struct groups *gs)
{
	fprintf(out,
		"<section id=\"%s\"><h2>%s</h2>\n<table><tr><th></th><th class=\"opt\">policies"
		"</th><th>expected</th><th>collected</th><th>rate</th><th></th></tr>\n",
		id, title);
	for (size_t i = 0; i < gs->n; i++) {
		const struct group *g = &gs->g[i];
		fputs("<tr><td class=\"t\">", out);
		html_text(out, g->key);
		fprintf(out, "</td><td class=\"opt\">%" PRId64 "</td>", g->policies);
		money_cell(out, NULL, g->expected, false);
		money_cell(out, NULL, g->collected, false);
		percent_cell(out, g->collected, g->expected, NULL);
		bar_cell(out, g->collected, g->expected, "var(--bar)", -1);
		fputs("</tr>\n", out);
	}
	fputs("</table><p class=\"note\">Rate: collected over expected (an overpayment can take "
	      "it past 100%). By the policy's own provider and channel: money paid through another "
	      "channel (a wallet payment for a cash policy) counts under the policy's.</p>"
	      "</section>\n",
	      out);
}

/* Cumulative expected (by debit day) and collected (by date) through the
 * month, as two polylines over a 300 x 150 plot. */
static void write_days(FILE *out, const struct figures *f)
{
	int64_t due = 0, got = 0, top = 1, cum_due[DAYS + 1], cum_got[DAYS + 1];
	due = f->due[0]; /* paid any day: due from the first */
	for (int d = 1; d <= f->ndays; d++) {
		due += f->due[d];
		got += f->daily[d];
		cum_due[d] = due;
		cum_got[d] = got;
		top = due > top ? due : top;
		top = got > top ? got : top;
	}
	char m[4][MONEY_BUFSZ];
	money_format(top, m[0]);
	money_format(f->due[0], m[1]);
	money_format(f->reversed_after, m[2]);
	money_format(got, m[3]);
	fputs("<section id=\"days\"><h2>Expected and collected through the month</h2>\n"
	      "<svg class=\"chart\" viewBox=\"0 0 340 190\" role=\"img\" aria-label=\"cumulative "
	      "expected and collected by day\"><g font-size=\"10\" fill=\"#57606a\">",
	      out);
	fprintf(out, "<text x=\"36\" y=\"12\">%s</text><text x=\"36\" y=\"172\">0</text>", m[0]);
	fprintf(out, "<text x=\"40\" y=\"186\">1</text><text x=\"322\" y=\"186\">%d</text></g>",
		f->ndays);
	fputs("<line x1=\"36\" y1=\"160\" x2=\"336\" y2=\"160\" stroke=\"#d0d7de\"/>", out);
	for (int pass = 0; pass < 2; pass++) {
		const int64_t *cum = pass ? cum_got : cum_due;
		fprintf(out, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"%s\" points=\"",
			pass ? "#1a7f37" : "#0969da");
		for (int d = 1; d <= f->ndays; d++)
			fprintf(out, "%s%d,%" PRId64, d > 1 ? " " : "",
				36 + (d - 1) * 300 / (f->ndays > 1 ? f->ndays - 1 : 1),
				160 - cum[d] * 140 / top);
		fputs("\"/>", out);
	}
	fputs("</svg>\n<p class=\"note\"><span style=\"color:#0969da\">&#9632;</span> expected, "
	      "by debit day, cumulative (policies paid any day, by cash, from the first: <span "
	      "id=\"due-any-day\">",
	      out);
	fprintf(out,
		"%s</span>) &nbsp; <span style=\"color:#1a7f37\">&#9632;</span> collected less "
		"taken back, by business date, cumulative: <span id=\"month-end\">%s</span> by "
		"the month's end; taken back after it (unpaids dated later, of this month's "
		"collections): <span id=\"reversed-after\">%s</span>.</p></section>\n",
		m[1], m[3], m[2]);
}

static void write_exceptions(FILE *out, const struct figures *f)
{
	char stake[MONEY_BUFSZ];
	money_format(f->open.at_stake, stake);
	fprintf(out,
		"<section id=\"exceptions\"><h2>Open exceptions</h2>\n<p><b id=\"open\">%zu</b> "
		"open, <b id=\"open-at-stake\">%s</b> at stake.</p>\n<table><tr><th>code</th>",
		f->open.n, stake);
	for (int a = 0; a < EXCEPTION_AGES; a++) {
		fputs("<th>", out);
		html_text(out, exception_age_name((enum exception_age)a));
		fputs("</th>", out);
	}
	fputs("<th>at stake</th><th></th></tr>\n", out);
	int64_t most = f->ncodes ? f->codes[0].at_stake : 0;
	for (size_t c = 0; c < f->ncodes; c++) {
		const struct code_ages *k = &f->codes[c];
		fputs("<tr><td class=\"t\">", out);
		code_text(out, k->code);
		fputs("</td>", out);
		for (int a = 0; a < EXCEPTION_AGES; a++)
			fprintf(out, "<td>%" PRId64 "</td>", k->count[a]);
		money_cell(out, NULL, k->at_stake, false);
		bar_cell(out, k->at_stake, most, "var(--unpaid)", -1);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
	size_t top = f->open.n < TOP_EXCEPTIONS ? f->open.n : TOP_EXCEPTIONS;
	if (top)
		fprintf(out,
			"<p class=\"note\">Money at stake: a transaction two exceptions name counts "
			"once in the total; an info (a duplicate skipped) puts none at stake. The %zu "
			"with the most at stake:</p>\n<table><tr>"
			"<th>id</th><th class=\"t\">code</th><th class=\"t\">reference</th>"
			"<th class=\"t opt\">transaction</th><th>at stake</th><th>age</th>"
			"</tr>\n",
			top);
	for (size_t i = 0; i < top; i++) {
		const struct exception_item *it = &f->open.items[i];
		/* As the discrepancy holds them: masked there when personal. */
		char ref[TEXT_NAME_BUFSZ], txn[TEXT_NAME_BUFSZ];
		fprintf(out, "<tr><td>%" PRId64 "</td><td class=\"t\">", it->x.id);
		code_text(out, it->x.code);
		fputs("</td><td class=\"t\">", out);
		html_text(out, text_name(it->x.reference ? it->x.reference : it->x.file, ref));
		fputs("</td><td class=\"t opt\">", out);
		html_text(out, it->x.transaction_id ? text_name(it->x.transaction_id, txn) : "");
		fputs("</td>", out);
		money_cell(out, NULL, it->at_stake, false);
		fprintf(out, "<td>%s</td></tr>\n", exception_age_name(it->age));
	}
	fprintf(out, "%s</section>\n", top ? "</table>" : "");
}

static void write_batches(FILE *out, const struct figures *f)
{
	fprintf(out,
		"<section id=\"settlement\"><h2>Settlement batches</h2>\n<p class=\"note\">The "
		"batches of the settlements through a day from %s to %s, with their payouts.</p>\n",
		f->first, f->until);
	if (!f->nbatches) {
		fputs("<p>No batch yet.</p></section>\n", out);
		return;
	}
	fputs("<table><tr><th>batch</th><th>through</th><th class=\"t\">provider</th>"
	      "<th>net</th><th class=\"t\">payout</th></tr>\n",
	      out);
	for (size_t i = 0; i < f->nbatches; i++) {
		const struct batch *b = &f->batches[i];
		char id[48];
		snprintf(id, sizeof(id), "batch-%" PRId64 "-net", b->id);
		fprintf(out, "<tr><td>%" PRId64 "</td><td>%s</td><td class=\"t\">", b->id,
			b->through);
		html_text(out, b->provider);
		fputs("</td>", out);
		money_cell(out, id, b->net, false);
		fputs("<td class=\"t\">", out);
		if (*b->reference) {
			html_text(out, b->reference);
			fputs(" ", out);
			html_text(out, b->state);
			if (b->carried_into)
				fprintf(out, ", carried into batch %" PRId64, b->carried_into);
			else if (!strcmp(b->state, "rejected") || !strcmp(b->state, "mismatch"))
				fputs(": owed, to be carried into the provider's next batch", out);
		} else {
			fputs(b->net < 0 ? "none: carried forward" : "none", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table></section>\n", out);
}

static void write_health(FILE *out, const struct figures *f)
{
	const struct monitor *m = &f->health;
	fputs("<section id=\"health\"><h2>Debit-order health</h2>\n", out);
	if (*f->health_why || !m->n) {
		fputs("<p>", out);
		html_text(out, *f->health_why ? f->health_why
					      : "No debit instruction reached a final state.");
		fputs("</p></section>\n", out);
		return;
	}
	fputs("<table><tr><th>channel, provider</th><th class=\"opt\">final</th><th>unpaids</th>"
	      "<th></th><th>disputes</th><th></th></tr>\n",
	      out);
	for (size_t i = 0; i < m->n; i++) {
		const struct monitor_line *l = &m->lines[i];
		const struct monitor_cell *c = &l->cells[MONITOR_PERIODS - 1];
		fputs("<tr><td class=\"t\">", out);
		html_text(out, l->channel);
		fputs(", ", out);
		html_text(out, l->provider);
		fprintf(out, "</td><td class=\"opt\">%" PRId64 "</td>", c->instructions);
		percent_cell(out, c->unpaids, c->instructions, l->unpaids_breach ? "breach" : NULL);
		bar_cell(out, c->unpaids, c->instructions, "var(--bar)", m->limits.unpaids_bps);
		percent_cell(out, c->disputes, c->instructions,
			     l->disputes_breach ? "breach" : NULL);
		bar_cell(out, c->disputes, c->instructions, "var(--bar)", m->limits.disputes_bps);
		fputs("</tr>\n", out);
	}
	char u[MONITOR_PERCENT_BUFSZ], d[MONITOR_PERCENT_BUFSZ];
	fprintf(out,
		"</table><p class=\"note\">Limits (red marks): unpaids %s%%, disputes %s%% of the "
		"instructions that reached a final state. <span id=\"breaches\">%d</span> "
		"over.</p></section>\n",
		monitor_percent(m->limits.unpaids_bps, 10000, u),
		monitor_percent(m->limits.disputes_bps, 10000, d), m->breaches);
}

int summary_write(struct store *s, const struct summary_opts *o, FILE *out, struct err *e)
{
	struct figures *f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(e, KASI_EIO, "out of memory");
	f->e = e;
	/* Every figure from one snapshot of the store: a run committing
	 * meanwhile cannot make the page add up to two different stores. */
	int rc = (f->strings = arena_new()) ? store_begin_read(s, e)
					    : err_set(e, KASI_EIO, "out of memory");
	if (!rc) {
		rc = read_figures(s, o, f);
		store_rollback(s); /* read only: nothing to keep */
	}
	if (!rc) {
		write_head(out, f, o);
		write_outcomes(out, f);
		write_rates(out, "Collection rate by provider", "providers", &f->providers);
		write_rates(out, "Collection rate by channel", "channels", &f->channels);
		write_days(out, f);
		write_exceptions(out, f);
		write_batches(out, f);
		write_health(out, f);
		fputs("<footer><p class=\"note\">Every figure is the store's, as the CSV reports "
		      "give it. Personal data is masked.</p></footer>\n</body></html>\n",
		      out);
	}
	release_figures(f);
	free(f);
	return rc;
}
