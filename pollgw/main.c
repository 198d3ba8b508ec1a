/* main.c: pollgw, Parley's XMPP HTTP polling gateway (XEP-0025).
 * Describes the daemon (its options and callbacks) and hands over to the
 * shared skeleton in common/daemon.c. See pollgw.8. */
#include "daemon.h"
#include "gw_front.h"
#include "gw_handover.h"
#include "gw_uplink.h"
#include "pollgw.h"

#define C pollgw_config
static const struct opt pollgw_options[] = {
	{"socket", 's', "POLLGW_SOCKET", OPT_STRING, &C.socket, 0, 0, NULL,
	 "PATH", "unix socket http-filed forwards /http-poll to (required)"},
	{"router", 'R', "POLLGW_ROUTER", OPT_STRING, &C.router, 0, 0, NULL,
	 "PATH", "xmpp-routerd's gateway socket (required)"},
	{"domain", 'D', "POLLGW_DOMAIN", OPT_STRING, &C.poll.domain, 0, 0, NULL,
	 "DOMAIN", "the XMPP domain served (localhost)"},
	{"control-socket", 0, "POLLGW_CONTROL_SOCKET", OPT_STRING,
	 &C.control_socket, 0, 0, NULL, "PATH",
	 "unix socket for parleyctl's poll commands (none)"},
	{"cors-origin", 0, "POLLGW_CORS_ORIGIN", OPT_STRING, &C.cors_origin, 0,
	 0, NULL, "ORIGIN", "Access-Control-Allow-Origin (*)"},
	{"inactivity", 0, "POLLGW_INACTIVITY", OPT_LONG, &C.inactivity, 5,
	 86400, NULL, "SECS",
	 "a session ends after this long without a poll (60)"},
	{"min-interval", 0, "POLLGW_MIN_INTERVAL", OPT_LONG, &C.min_interval, 0,
	 60000, NULL, "MS",
	 "shortest time between two answers to one session (1000)"},
	{"max-queue", 0, "POLLGW_MAX_QUEUE", OPT_LONG, &C.max_queue, 4096,
	 1024L * 1024, NULL, "BYTES",
	 "router output kept for a session between polls (262144)"},
	{"max-sessions", 'c', "POLLGW_MAX_SESSIONS", OPT_LONG, &C.max_sessions,
	 1, 10000000, NULL, "N", "most sessions (100000)"},
	{"max-body", 0, "POLLGW_MAX_BODY", OPT_LONG, &C.max_body, 1024,
	 16L * 1024 * 1024, NULL, "BYTES", "largest request body (1048576)"},
	{"state-dir", 0, "POLLGW_STATE_DIR", OPT_STRING, &C.state_dir, 0, 0,
	 NULL, "DIR",
	 "hand sessions over to the next pollgw through DIR (none)"},
	{NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL},
};
#undef C

static const struct gw_uplink_ops pollgw_uplink_ops = {
	.on_data = pollgw_sessions_from_router,
	.on_close = pollgw_sessions_router_closed,
	.on_lost = pollgw_sessions_router_lost,
	.on_up = gw_handover_router_up,
};

static int pollgw_setup(int nworkers)
{
	(void)nworkers;
	int rc = gw_front_setup(pollgw_config.socket);
	if (rc == 0)
		rc = pollgw_handover_setup();
	return rc ? rc : pollgw_control_setup();
}

static struct ev_loop *pollgw_loop;

static void pollgw_open_front(void)
{
	pollgw_front_start(pollgw_loop);
}

static int pollgw_start(struct ev_loop *loop, int index)
{
	(void)index;
	pollgw_loop = loop;
	pollgw_sessions_init(loop);
	gw_handover_restore();
	gw_uplink_start(loop, pollgw_config.router, "pollgw",
			&pollgw_uplink_ops);
	/* requests only once the sessions taken over have their streams */
	gw_handover_open_front(loop, pollgw_open_front);
	pollgw_control_start(loop);
	return 0;
}

static void pollgw_stop(struct ev_loop *loop)
{
	pollgw_control_stop(loop);
	gw_handover_stop(loop);
}

static const struct daemon_desc pollgw_daemon = {
	.name = "pollgw",
	.env_prefix = "POLLGW",
	.summary = "XMPP HTTP polling gateway (XEP-0025) between http-filed "
		   "and xmpp-routerd.",
	.opts = pollgw_options,
	.configure = pollgw_configure,
	.setup = pollgw_setup,
	.workers = NULL,
	.worker_start = pollgw_start,
	.worker_stop = pollgw_stop,
};

int main(int argc, char **argv)
{
	return daemon_main(&pollgw_daemon, argc, argv);
}
