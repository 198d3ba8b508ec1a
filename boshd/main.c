/* main.c: boshd, Parley's BOSH connection manager (XEP-0124, XEP-0206).
 * Describes the daemon (its options and callbacks) and hands over to the
 * shared skeleton in common/daemon.c. See boshd.8. */
#include "boshd.h"
#include "daemon.h"
#include "gw_front.h"
#include "gw_handover.h"
#include "gw_uplink.h"

#define C boshd_config
static const struct opt boshd_options[] = {
	{"socket", 's', "BOSHD_SOCKET", OPT_STRING, &C.socket, 0, 0, NULL,
	 "PATH", "unix socket http-filed forwards /http-bind to (required)"},
	{"router", 'R', "BOSHD_ROUTER", OPT_STRING, &C.router, 0, 0, NULL,
	 "PATH", "xmpp-routerd's gateway socket (required)"},
	{"domain", 'D', "BOSHD_DOMAIN", OPT_STRING, &C.bosh.domain, 0, 0, NULL,
	 "DOMAIN", "the XMPP domain served (localhost)"},
	{"control-socket", 0, "BOSHD_CONTROL_SOCKET", OPT_STRING,
	 &C.control_socket, 0, 0, NULL, "PATH",
	 "unix socket for parleyctl's bosh commands (none)"},
	{"cors-origin", 0, "BOSHD_CORS_ORIGIN", OPT_STRING, &C.cors_origin, 0,
	 0, NULL, "ORIGIN", "Access-Control-Allow-Origin (*)"},
	{"max-wait", 0, "BOSHD_MAX_WAIT", OPT_LONG, &C.max_wait, 1, 3600, NULL,
	 "SECS", "longest wait granted (60)"},
	{"max-hold", 0, "BOSHD_MAX_HOLD", OPT_LONG, &C.max_hold, 1,
	 BOSH_HOLD_MAX, NULL, "N", "most requests held (2)"},
	{"polling", 0, "BOSHD_POLLING", OPT_LONG, &C.polling, 0, 3600, NULL,
	 "SECS", "shortest polling interval (2)"},
	{"inactivity", 0, "BOSHD_INACTIVITY", OPT_LONG, &C.inactivity, 5, 86400,
	 NULL, "SECS", "session ends after this long without requests (60)"},
	{"maxpause", 0, "BOSHD_MAXPAUSE", OPT_LONG, &C.maxpause, 0, 86400, NULL,
	 "SECS", "longest pause allowed, 0: none (120)"},
	{"max-queue", 0, "BOSHD_MAX_QUEUE", OPT_LONG, &C.max_queue, 4096,
	 16L * 1024 * 1024, NULL, "BYTES",
	 "router output kept for a session between requests (262144)"},
	{"max-sessions", 'c', "BOSHD_MAX_SESSIONS", OPT_LONG, &C.max_sessions,
	 1, 10000000, NULL, "N", "most sessions (100000)"},
	{"max-body", 0, "BOSHD_MAX_BODY", OPT_LONG, &C.max_body, 1024,
	 16L * 1024 * 1024, NULL, "BYTES", "largest request body (1048576)"},
	{"state-dir", 0, "BOSHD_STATE_DIR", OPT_STRING, &C.state_dir, 0, 0,
	 NULL, "DIR",
	 "hand sessions over to the next boshd through DIR (none)"},
	{NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL},
};
#undef C

static const struct gw_uplink_ops boshd_uplink_ops = {
	.on_data = sessions_from_router,
	.on_close = sessions_router_closed,
	.on_lost = sessions_router_lost,
	.on_up = gw_handover_router_up,
};

static int boshd_setup(int nworkers)
{
	(void)nworkers;
	int rc = gw_front_setup(boshd_config.socket);
	if (rc == 0)
		rc = handover_setup();
	return rc ? rc : boshd_control_setup();
}

static struct ev_loop *boshd_loop;

static void boshd_open_front(void)
{
	front_start(boshd_loop);
}

static int boshd_start(struct ev_loop *loop, int index)
{
	(void)index;
	boshd_loop = loop;
	sessions_init(loop);
	gw_handover_restore();
	gw_uplink_start(loop, boshd_config.router, "boshd", &boshd_uplink_ops);
	/* requests only once the sessions taken over have their streams */
	gw_handover_open_front(loop, boshd_open_front);
	boshd_control_start(loop);
	return 0;
}

static void boshd_stop(struct ev_loop *loop)
{
	boshd_control_stop(loop);
	gw_handover_stop(loop);
}

static const struct daemon_desc boshd_daemon = {
	.name = "boshd",
	.env_prefix = "BOSHD",
	.summary = "BOSH connection manager (XEP-0124, XEP-0206) between "
		   "http-filed and xmpp-routerd.",
	.opts = boshd_options,
	.configure = boshd_configure,
	.setup = boshd_setup,
	.workers = NULL,
	.worker_start = boshd_start,
	.worker_stop = boshd_stop,
};

int main(int argc, char **argv)
{
	return daemon_main(&boshd_daemon, argc, argv);
}
