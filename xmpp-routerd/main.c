/* main.c: xmpp-routerd, Parley's XMPP core. Describes the daemon (its
 * options and callbacks) and hands over to the shared skeleton in
 * common/daemon.c. See xmpp-routerd.8. */
#include "control.h"
#include "daemon.h"
#include "xmppd.h"

#define C xmppd_config
static const struct opt xmppd_options[] = {
	{"domain", 'D', "XMPP_ROUTERD_DOMAIN", OPT_STRING, &C.domain, 0, 0,
	 NULL, "DOMAIN", "the XMPP domain served (localhost)"},
	{"address", 'a', "XMPP_ROUTERD_ADDRESS", OPT_STRING, &C.address, 0, 0,
	 NULL, "ADDR", "client listen address (127.0.0.1)"},
	{"port", 'p', "XMPP_ROUTERD_PORT", OPT_LONG, &C.port, 1, 65535, NULL,
	 "PORT", "client port (5222)"},
	{"db", 0, "XMPP_ROUTERD_DB", OPT_STRING, &C.db_path, 0, 0, NULL, "FILE",
	 "the SQLite store (./xmpp-routerd.db)"},
	{"gateway-socket", 0, "XMPP_ROUTERD_GATEWAY_SOCKET", OPT_STRING,
	 &C.gateway_socket, 0, 0, NULL, "PATH",
	 "unix socket for the BOSH and polling gateways (none)"},
	{"gateway-fd", 0, "XMPP_ROUTERD_GATEWAY_FD", OPT_LONG, &C.gateway_fd, 3,
	 1023, NULL, "FD",
	 "the gateway socket is this listening fd (s6-fdholder-retrieve)"},
	{"handover-grace", 0, "XMPP_ROUTERD_HANDOVER_GRACE", OPT_LONG,
	 &C.handover_grace, 1, 3600, NULL, "SECS",
	 "keep a restarting gateway's streams this long (30)"},
	{"control-socket", 0, "XMPP_ROUTERD_CONTROL_SOCKET", OPT_STRING,
	 &C.control_socket, 0, 0, NULL, "PATH",
	 "unix socket for parleyctl (none)"},
	{"tls-cert", 0, "XMPP_ROUTERD_TLS_CERT", OPT_STRING, &C.tls_cert, 0, 0,
	 NULL, "FILE", "TLS certificate (PEM); none: no STARTTLS"},
	{"tls-key", 0, "XMPP_ROUTERD_TLS_KEY", OPT_STRING, &C.tls_key, 0, 0,
	 NULL, "FILE", "TLS private key (PEM)"},
	{"allow-plaintext", 0, "XMPP_ROUTERD_ALLOW_PLAINTEXT", OPT_FLAG,
	 &C.allow_plaintext, 0, 0, NULL, NULL,
	 "allow authentication without TLS off loopback"},
	{"registration", 0, "XMPP_ROUTERD_REGISTRATION", OPT_FLAG,
	 &C.registration, 0, 0, NULL, NULL,
	 "allow in-band registration (XEP-0077)"},
	{"max-stanza", 0, "XMPP_ROUTERD_MAX_STANZA", OPT_LONG, &C.max_stanza,
	 1024, 16L * 1024 * 1024, NULL, "BYTES",
	 "largest stanza, else policy-violation (262144)"},
	{"max-connections", 'c', "XMPP_ROUTERD_MAX_CONNECTIONS", OPT_LONG,
	 &C.max_connections, 1, 1000000, NULL, "N",
	 "most client connections (65536)"},
	{"idle-timeout", 0, "XMPP_ROUTERD_IDLE_TIMEOUT", OPT_LONG,
	 &C.idle_timeout, 10, 86400, NULL, "SECS",
	 "close a connection silent this long (600)"},
	{"auth-timeout", 0, "XMPP_ROUTERD_AUTH_TIMEOUT", OPT_LONG,
	 &C.auth_timeout, 1, 3600, NULL, "SECS",
	 "time to authenticate and bind (60)"},
	{"auth-failure-delay", 0, "XMPP_ROUTERD_AUTH_FAILURE_DELAY", OPT_LONG,
	 &C.auth_failure_delay, 0, 60000, NULL, "MS",
	 "delay before a SASL failure is answered (1000)"},
	{"offline-max", 0, "XMPP_ROUTERD_OFFLINE_MAX", OPT_LONG, &C.offline_max,
	 0, 100000, NULL, "N", "stored offline messages per user (1000)"},
	{NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL},
};
#undef C

static int xmppd_setup(int nworkers)
{
	(void)nworkers;
	int rc = c2s_setup();
	if (rc == 0)
		rc = gateway_setup();
	return rc ? rc : control_setup();
}

static int xmppd_start(struct ev_loop *loop, int index)
{
	xstream_start(loop);
	gateway_start(loop);
	control_start(loop);
	return c2s_start(loop, index);
}

static void xmppd_stop(struct ev_loop *loop)
{
	gateway_stop(loop);
	control_stop(loop);
	c2s_stop(loop);
	xstream_stop();
}

static const struct daemon_desc xmppd_daemon = {
	.name = "xmpp-routerd",
	.env_prefix = "XMPP_ROUTERD",
	.summary = "The XMPP core: client streams, authentication, sessions "
		   "and routing.",
	.opts = xmppd_options,
	.configure = xmppd_configure,
	.setup = xmppd_setup,
	.workers = NULL,
	.worker_start = xmppd_start,
	.worker_stop = xmppd_stop,
	.worker_reload = NULL,
};

int main(int argc, char **argv)
{
	return daemon_main(&xmppd_daemon, argc, argv);
}
