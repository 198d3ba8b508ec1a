/* main.c: parley-load, an XMPP load generator (see parley-load.1).
 *
 * Reads the options, raises the descriptor limit, runs the test (run.c)
 * and prints the report. Exit status: 0 if every user logged in and no
 * message was lost or duplicated (with --reconnect: if every user was
 * online at the end of the run, whatever failed and was made good on the
 * way), 1 if the run completed with failures or losses, 100 for bad
 * usage, 111 if it could not start. */
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "log.h"

static int main_exit_status(const struct load *l)
{
	unsigned long failed = 0;
	for (int k = 0; k < FAIL_KINDS; k++)
		failed += l->stats.failed[k];
	unsigned long users = (unsigned long)l->cfg->users;
	int lost = ledger_lost(l) > 0 || l->stats.duplicated > 0;
	if (l->cfg->reconnect)
		return lost || l->stats.online_at_end < users;
	return failed || lost || l->stats.connected < users;
}

int main(int argc, char **argv)
{
	static struct load load; /* large: the histogram */
	struct load_config cfg;
	log_init("parley-load");
	config_parse(&cfg, argc, argv);
	log_set_level(cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid() << 16);
	load.run_id = (uint32_t)random();
	unsigned long conns = (unsigned long)cfg.users *
			      cfg.transport->fds_per_user(cfg.scenario);
	net_raise_fd_limit(conns + 64);
	net_check_ports(&cfg, conns);
	run_load(&load, &cfg);
	report_print(&load);
	live_write(&load);
	int status = main_exit_status(&load);
	ledger_free(&load);
	return status;
}
