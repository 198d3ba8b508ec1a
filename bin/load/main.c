/* main.c: parley-load, an XMPP load generator (see parley-load.1).
 *
 * Reads the options, raises the descriptor limit, runs the test (run.c)
 * and prints the report. Exit status: 0 if every user logged in and no
 * message was lost, 1 if the run completed with failures or losses, 100
 * for bad usage, 111 if it could not start. */
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
	int lost = l->stats.sent > l->stats.received;
	return failed || lost ||
	       l->stats.connected < (unsigned long)l->cfg->users;
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
	return main_exit_status(&load);
}
