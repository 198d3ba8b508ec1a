/* register.c: in-band registration (XEP-0077), when --registration is on.
 *
 * Before authentication a client may ask for the form and create an
 * account (only over TLS or loopback, like PLAIN). At most one account is
 * made per connection and REGISTER_PER_MINUTE across the whole server, so
 * a script cannot fill the store. After authentication the same namespace
 * changes the password or, with <remove/>, deletes the account and ends
 * the stream. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "iq_server.h"
#include "log.h"
#include "register.h"
#include "xmppd.h"

#define NS_REGISTER "jabber:iq:register"
#define REGISTER_PER_MINUTE 30
#define REGISTER_PASSWORD_MAX 1024

static time_t register_window;
static int register_count;

/* 1 if one more account may be made now (global rate). */
static int register_allowed(void)
{
	time_t now = time(NULL);
	if (now - register_window >= 60) {
		register_window = now;
		register_count = 0;
	}
	return register_count < REGISTER_PER_MINUTE;
}

static void register_reply(struct xstream *xs, const struct xml_node *iq,
			   const char *payload, const char *type,
			   const char *condition)
{
	const char *id = xml_node_attr(iq, "id");
	struct buf b;
	buf_init(&b, 4096);
	buf_printf(&b, "<iq type='%s' id='", condition ? "error" : "result");
	xml_escape_attr(&b, id ? id : "", id ? strlen(id) : 0);
	buf_append_str(&b, "'>");
	if (payload)
		buf_append_str(&b, payload);
	if (condition)
		buf_printf(&b, "<error type='%s'><%s xmlns='%s'/></error>",
			   type, condition, NS_STANZA_ERRORS);
	buf_append_str(&b, "</iq>");
	xstream_send_stanza(xs, buf_head(&b), b.len);
	buf_free(&b);
}

/* The text of child name of query, or NULL. */
static const char *register_field(const struct xml_node *query,
				  const char *name)
{
	struct xml_node *n = xml_node_child(query, NS_REGISTER, name);
	return n ? xml_node_text(n) : NULL;
}

static int register_creds(const char *password, struct scram_creds *c1,
			  struct scram_creds *c256)
{
	if (strlen(password) > REGISTER_PASSWORD_MAX)
		return -1;
	return scram_make_creds(SCRAM_SHA1, password, SCRAM_DEFAULT_ITERATIONS,
				c1) < 0 ||
			       scram_make_creds(SCRAM_SHA256, password,
						SCRAM_DEFAULT_ITERATIONS,
						c256) < 0
		       ? -1
		       : 0;
}

static void register_create(struct xstream *xs, struct xml_node *iq,
			    struct xml_node *query)
{
	const char *username = register_field(query, "username");
	const char *password = register_field(query, "password");
	char user[JID_PART_MAX + 1];
	struct scram_creds c1, c256;
	if (!username || !password || !*username || !*password ||
	    strlen(username) > JID_PART_MAX) {
		register_reply(xs, iq, NULL, "modify", "not-acceptable");
		return;
	}
	strcpy(user, username);
	if (jid_prep_local(user, sizeof user) < 0 ||
	    register_creds(password, &c1, &c256) < 0) {
		register_reply(xs, iq, NULL, "modify", "not-acceptable");
		return;
	}
	if (xs->registered || !register_allowed()) {
		register_reply(xs, iq, NULL, "wait", "resource-constraint");
		return;
	}
	int rc = store_user_create(xmppd_config.store, user, &c1, &c256);
	if (rc == 1) {
		register_reply(xs, iq, NULL, "cancel", "conflict");
		return;
	}
	if (rc < 0) {
		register_reply(xs, iq, NULL, "wait", "internal-server-error");
		return;
	}
	register_count++;
	xs->registered = 1;
	log_info("%s: registered account %s", xs->peer, user);
	register_reply(xs, iq, NULL, NULL, NULL);
}

void register_preauth(struct xstream *xs, struct xml_node *iq)
{
	const char *type = xml_node_attr(iq, "type");
	struct xml_node *query = xml_node_child(iq, NS_REGISTER, "query");
	if (!xmppd_config.registration || !(xs->secure || xs->tls) || !query ||
	    !type) {
		register_reply(xs, iq, NULL, "cancel", "service-unavailable");
		return;
	}
	if (strcmp(type, "get") == 0)
		register_reply(
			xs, iq,
			"<query xmlns='" NS_REGISTER "'><instructions>Choose "
			"a user name and password.</instructions><username/>"
			"<password/></query>",
			NULL, NULL);
	else if (strcmp(type, "set") == 0)
		register_create(xs, iq, query);
	else
		register_reply(xs, iq, NULL, "modify", "bad-request");
}

void register_handle_get(struct iq_request *rq)
{
	struct buf b;
	if (!xmppd_config.registration) {
		iq_server_error(rq, "cancel", "service-unavailable");
		return;
	}
	if (iq_server_reply_begin(rq, &b, 4096) < 0)
		return;
	buf_append_str(&b, "<query xmlns='" NS_REGISTER "'><registered/>"
			   "<username>");
	xml_escape_text(&b, rq->user, strlen(rq->user));
	buf_append_str(&b, "</username><password/></query>");
	iq_server_reply_end(rq, &b, 0);
}

void register_handle_set(struct iq_request *rq)
{
	struct xstream *xs = rq->s->xs;
	if (!xmppd_config.registration || rq->target == IQ_TO_OTHER) {
		iq_server_error(rq, "cancel", "service-unavailable");
		return;
	}
	if (xml_node_child(rq->payload, NS_REGISTER, "remove")) {
		if (store_user_delete(xmppd_config.store, rq->user) < 0) {
			iq_server_error(rq, "wait", "internal-server-error");
			return;
		}
		log_info("%s: account %s removed by its owner", xs->peer,
			 rq->user);
		iq_server_reply(rq, NULL);
		xstream_fail(xs, "not-authorized", "account removed");
		return;
	}
	const char *username = register_field(rq->payload, "username");
	const char *password = register_field(rq->payload, "password");
	char user[JID_PART_MAX + 1];
	struct scram_creds c1, c256;
	if (!username || !password || strlen(username) > JID_PART_MAX ||
	    !*password) {
		iq_server_error(rq, "modify", "bad-request");
		return;
	}
	strcpy(user, username);
	if (jid_prep_local(user, sizeof user) < 0 ||
	    strcmp(user, rq->user) != 0) {
		iq_server_error(rq, "modify", "bad-request");
		return;
	}
	if (register_creds(password, &c1, &c256) < 0) {
		iq_server_error(rq, "modify", "not-acceptable");
		return;
	}
	if (store_user_set_creds(xmppd_config.store, user, &c1, &c256) != 0) {
		iq_server_error(rq, "wait", "internal-server-error");
		return;
	}
	log_info("%s: %s changed their password", xs->peer, user);
	iq_server_reply(rq, NULL);
}
