/* report.c: parley-load's final report on stdout: an aligned table, or
 * with --json one JSON object on one line, with the same figures.
 *
 * The figures are gathered once into struct report_figures, so both
 * forms always agree. Latencies are in milliseconds; "lost" is what was
 * sent and not received by the end of the grace period (the ledger's
 * count, ledger.c), listed by the Unix second in which it was sent;
 * "duplicated" counts second copies; polls (XEP-0025 requests, 0 for the
 * other transports) per second are those made during the run phase over
 * its length. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "load.h"

struct report_figures {
	unsigned long failed_total, lost;
	double lat_ms[5]; /* p50 p90 p99 p99.9 max */
	double mean_ms;
	double ramp_s, run_s, wall_s, cpu_user_s, cpu_sys_s;
	double cpu_after_ramp_s; /* from the end of the ramp on */
	double received_per_s;
	double polls_per_s;
};

static const char *const report_phase_names[] = {
	[PHASE_RAMP] = "ramp",	 [PHASE_RUN] = "run",	[PHASE_GRACE] = "grace",
	[PHASE_CLOSE] = "close", [PHASE_DONE] = "done",
};

const char *report_phase_name(enum load_phase p)
{
	return (unsigned)p <= PHASE_DONE ? report_phase_names[p] : "?";
}

static const char *const report_quantile_names[5] = {"p50", "p90", "p99",
						     "p99.9", "max"};
static const double report_quantiles[4] = {0.50, 0.90, 0.99, 0.999};

static double report_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double load_cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return report_seconds(ru.ru_utime) + report_seconds(ru.ru_stime);
}

static void report_gather(const struct load *l, struct report_figures *f)
{
	const struct load_stats *st = &l->stats;
	f->failed_total = 0;
	for (int k = 0; k < FAIL_KINDS; k++)
		f->failed_total += st->failed[k];
	f->lost = ledger_lost(l);
	for (int q = 0; q < 4; q++)
		f->lat_ms[q] = (double)histo_quantile(&st->latency,
						      report_quantiles[q]) /
			       1000.0;
	f->lat_ms[4] = (double)st->latency.max / 1000.0;
	f->mean_ms = st->latency.n ? (double)st->latency.sum /
					     (double)st->latency.n / 1000.0
				   : 0;
	f->ramp_s = l->t_online - l->t_begin;
	f->run_s = l->t_run_end - l->t_online;
	f->wall_s = l->t_end - l->t_begin;
	f->received_per_s = f->run_s > 0 ? (double)st->received / f->run_s : 0;
	f->polls_per_s = f->run_s > 0 ? (double)st->polls_run / f->run_s : 0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	f->cpu_user_s = report_seconds(ru.ru_utime);
	f->cpu_sys_s = report_seconds(ru.ru_stime);
	f->cpu_after_ramp_s = l->phase == PHASE_RAMP ? 0
			      : f->cpu_user_s + f->cpu_sys_s - l->cpu_at_online;
}

/* One "second:count" of lost_by_second, in the table, and in JSON (ctx:
   the count printed so far, for the commas). */
static void report_lost_text(long second, unsigned long count, void *ctx)
{
	(void)ctx;
	if (second < 0)
		printf(" others:%lu", count);
	else
		printf(" %ld:%lu", second, count);
}

static void report_lost_json(long second, unsigned long count, void *ctx)
{
	int *n = ctx;
	const char *comma = (*n)++ ? "," : "";
	if (second < 0)
		printf("%s\"other\":%lu", comma, count);
	else
		printf("%s\"%ld\":%lu", comma, second, count);
}

static const char *report_scenario(const struct load_config *cfg)
{
	return cfg->scenario == SCENARIO_PAIRS ? "pairs" : "idle";
}

static void report_table(const struct load *l, const struct report_figures *f)
{
	const struct load_config *cfg = l->cfg;
	const struct load_stats *st = &l->stats;
	printf("%-22s %s, %s, %ld users, ramp %ld/s\n", "run",
	       cfg->transport->name, report_scenario(cfg), cfg->users,
	       cfg->ramp);
	printf("%-22s %lu\n", "sessions connected", st->connected);
	printf("%-22s %lu\n", "online at the end", st->online_at_end);
	printf("%-22s %lu (of them dropped after login: %lu)\n", "failures",
	       f->failed_total, st->dropped);
	for (int k = 0; k < FAIL_KINDS; k++)
		printf("  %-20s %lu\n", fail_kind_name(k), st->failed[k]);
	printf("%-22s %lu\n", "sessions lost", st->dropped);
	if (cfg->reconnect)
		printf("%-22s %lu (of %lu attempts)\n", "logged in again",
		       st->relogins, st->relogin_attempts);
	printf("%-22s refused %lu, reset %lu, HTTP 5xx %lu, resent %lu\n",
	       "network", st->refused, st->resets, st->http_5xx, st->resent);
	if (cfg->transport == &transport_poll)
		printf("%-22s %lu (%lu in the run: %.1f/s; late at a slot: "
		       "%lu)\n",
		       "polls made", st->polls, st->polls_run, f->polls_per_s,
		       st->polls_late);
	if (cfg->scenario == SCENARIO_PAIRS) {
		printf("%-22s %lu (%.1f/s received)\n", "messages sent",
		       st->sent, f->received_per_s);
		printf("%-22s %lu\n", "messages received", st->received);
		printf("%-22s %lu\n", "messages lost", f->lost);
		if (f->lost) {
			printf("%-22s", "  by second sent");
			ledger_lost_by_second(l, 20, report_lost_text, NULL);
			printf("\n");
		}
		printf("%-22s %lu\n", "messages duplicated", st->duplicated);
		printf("%-22s %lu (in a lost session's queue, never sent)\n",
		       "  of the lost, unsent", st->unsent);
		printf("%-22s %lu\n", "not sent (queue full)", st->unsendable);
		printf("%-22s %lu\n", "foreign messages", st->foreign);
		printf("%-22s", "latency ms");
		for (int q = 0; q < 5; q++)
			printf(" %s %.3f", report_quantile_names[q],
			       f->lat_ms[q]);
		printf(" mean %.3f\n", f->mean_ms);
	}
	printf("%-22s ramp %.1f, run %.1f, total %.1f\n", "wall time s",
	       f->ramp_s, f->run_s, f->wall_s);
	printf("%-22s user %.2f, system %.2f; after the ramp %.2f\n",
	       "cpu time s", f->cpu_user_s, f->cpu_sys_s, f->cpu_after_ramp_s);
}

static void report_json(const struct load *l, const struct report_figures *f)
{
	const struct load_config *cfg = l->cfg;
	const struct load_stats *st = &l->stats;
	printf("{\"transport\":\"%s\",\"scenario\":\"%s\",\"users\":%ld,"
	       "\"ramp_per_s\":%ld,\"connected\":%lu,\"online_at_end\":%lu,"
	       "\"failed\":%lu,\"dropped\":%lu,\"failures\":{",
	       cfg->transport->name, report_scenario(cfg), cfg->users,
	       cfg->ramp, st->connected, st->online_at_end, f->failed_total,
	       st->dropped);
	for (int k = 0; k < FAIL_KINDS; k++)
		printf("%s\"%s\":%lu", k ? "," : "", fail_kind_name(k),
		       st->failed[k]);
	printf("},\"sessions_lost\":%lu,\"relogin_attempts\":%lu,"
	       "\"relogins\":%lu,\"refused\":%lu,\"resets\":%lu,"
	       "\"http_5xx\":%lu,\"resent\":%lu,",
	       st->dropped, st->relogin_attempts, st->relogins, st->refused,
	       st->resets, st->http_5xx, st->resent);
	printf("\"messages\":{\"sent\":%lu,\"received\":%lu,\"lost\":%lu,"
	       "\"duplicated\":%lu,\"unsent\":%lu},\"lost_by_second\":{",
	       st->sent, st->received, f->lost, st->duplicated, st->unsent);
	int n = 0;
	ledger_lost_by_second(l, LOAD_LOST_SECONDS_MAX, report_lost_json, &n);
	printf("},\"sent\":%lu,\"received\":%lu,\"lost\":%lu,"
	       "\"duplicated\":%lu,\"unsendable\":%lu,"
	       "\"foreign\":%lu,\"latency_ms\":{",
	       st->sent, st->received, f->lost, st->duplicated, st->unsendable,
	       st->foreign);
	for (int q = 0; q < 5; q++)
		printf("\"%s\":%.3f,", report_quantile_names[q], f->lat_ms[q]);
	printf("\"mean\":%.3f},\"polls\":%lu,\"polls_run\":%lu,"
	       "\"polls_per_s\":%.3f,\"polls_late\":%lu,\"wall_s\":{"
	       "\"ramp\":%.3f,\"run\":%.3f,\"total\":%.3f},\"cpu_s\":{"
	       "\"user\":%.3f,\"system\":%.3f,\"after_ramp\":%.3f}}\n",
	       f->mean_ms, st->polls, st->polls_run, f->polls_per_s,
	       st->polls_late, f->ramp_s, f->run_s, f->wall_s, f->cpu_user_s,
	       f->cpu_sys_s, f->cpu_after_ramp_s);
}

void report_print(const struct load *l)
{
	struct report_figures f;
	report_gather(l, &f);
	if (l->cfg->json)
		report_json(l, &f);
	else
		report_table(l, &f);
	fflush(stdout);
}
