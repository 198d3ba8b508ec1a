/* config.c: xmpp-routerd's configuration, checked at start-up (exit 100
 * for anything wrong), and the opening of the store. */
#include <openssl/rand.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "xmppd.h"

struct xmppd_config xmppd_config = {
	.domain = "localhost",
	.address = "127.0.0.1",
	.port = 5222,
	.db_path = "xmpp-routerd.db",
	.max_stanza = XMPPD_MAX_STANZA_DEFAULT,
	.max_connections = 65536,
	.idle_timeout = 600,
	.auth_timeout = 60,
	.auth_failure_delay = 1000,
	.offline_max = 1000,
	.gateway_fd = -1,
	.handover_grace = 30,
};

static int xmppd_check_domain(void)
{
	char prepared[JID_PART_MAX + 1];
	if (strlen(xmppd_config.domain) > JID_PART_MAX) {
		log_error("domain too long");
		return -1;
	}
	strcpy(prepared, xmppd_config.domain);
	if (jid_prep_domain(prepared, sizeof prepared) < 0) {
		log_error("domain %s is not a valid XMPP domain",
			  xmppd_config.domain);
		return -1;
	}
	static char domain[JID_PART_MAX + 1];
	strcpy(domain, prepared);
	xmppd_config.domain = domain;
	return 0;
}

int xmppd_configure(void)
{
	struct xmppd_config *c = &xmppd_config;
	if (xmppd_check_domain() < 0)
		return DAEMON_EXIT_USAGE;
	if (!c->tls_cert != !c->tls_key) {
		log_error("--tls-cert and --tls-key go together");
		return DAEMON_EXIT_USAGE;
	}
	if (RAND_bytes(c->secret, sizeof c->secret) != 1) {
		log_error("no random bytes for the server secret");
		return DAEMON_EXIT_TEMPORARY;
	}
	c->store = store_open_sqlite(c->db_path);
	if (!c->store)
		return DAEMON_EXIT_USAGE;
	log_info("domain %s, store %s", c->domain, c->db_path);
	return 0;
}
