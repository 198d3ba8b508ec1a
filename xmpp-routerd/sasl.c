/* sasl.c: SASL authentication for client streams (RFC 6120 6): PLAIN,
 * SCRAM-SHA-1 and SCRAM-SHA-256, all checked against the SCRAM
 * credentials in the store (passwords are never stored).
 *
 * An unknown user goes through the same SCRAM exchange with fake
 * credentials, so the answer does not reveal whether the account exists.
 * A failure is answered after --auth-failure-delay milliseconds, and a
 * connection that fails SASL_MAX_FAILURES times is closed. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base64.h"
#include "log.h"
#include "xmppd.h"

#define SASL_MAX_FAILURES 3
#define SASL_THROTTLE_SLOTS 1024  /* addresses remembered (direct-mapped) */
#define SASL_THROTTLE_WINDOW 600  /* seconds a failure is remembered */
#define SASL_THROTTLE_MAX_SHIFT 5 /* the delay doubles up to 32 times */
#define SASL_MAX_DATA 4096	  /* decoded bytes of one SASL message */

struct sasl_exchange {
	const struct sasl_mech *mech;
	struct scram_server scram;
	const char *pending_failure; /* sent when the delay expires */
	int failures;
};

struct sasl_mech {
	const char *name;
	int is_scram;
	enum scram_hash hash;
};

static const struct sasl_mech sasl_mechs[] = {
	{"SCRAM-SHA-256", 1, SCRAM_SHA256},
	{"SCRAM-SHA-1", 1, SCRAM_SHA1},
	{"PLAIN", 0, SCRAM_SHA256},
};

#define SASL_NMECHS (sizeof sasl_mechs / sizeof sasl_mechs[0])

void sasl_add_mechanisms(struct xstream *xs, struct xml_node *features)
{
	struct xml_node *m =
		xml_node_add_child(features, NS_SASL, "mechanisms");
	for (size_t i = 0; m && i < SASL_NMECHS; i++) {
		if (!sasl_mechs[i].is_scram && !xs->secure && !xs->tls)
			continue; /* PLAIN only where the password is safe */
		struct xml_node *e =
			xml_node_add_child(m, NS_SASL, "mechanism");
		if (e)
			xml_node_add_text(e, sasl_mechs[i].name,
					  strlen(sasl_mechs[i].name));
	}
}

/* Failures per client address: each recent failure from an address
   doubles the delay before its next failure is answered. */
struct sasl_throttle {
	char addr[XMPPD_PEER_MAX];
	int failures;
	time_t last;
};

static struct sasl_throttle sasl_throttle[SASL_THROTTLE_SLOTS];

/* The address part of a peer ("1.2.3.4:5" -> "1.2.3.4"), into out. */
static void sasl_peer_addr(const char *peer, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", peer);
	char *colon = strrchr(out, ':');
	if (colon && strchr(out, '.'))
		*colon = '\0';
	else if (out[0] == '[' && (colon = strstr(out, "]:")))
		colon[1] = '\0';
}

static struct sasl_throttle *sasl_throttle_entry(const char *peer)
{
	char addr[XMPPD_PEER_MAX];
	sasl_peer_addr(peer, addr, sizeof addr);
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		h = (h ^ *p) * 16777619u;
	struct sasl_throttle *t = &sasl_throttle[h % SASL_THROTTLE_SLOTS];
	if (strcmp(t->addr, addr) != 0 ||
	    time(NULL) - t->last > SASL_THROTTLE_WINDOW) {
		snprintf(t->addr, sizeof t->addr, "%s", addr);
		t->failures = 0;
	}
	return t;
}

/* Records a failure from xs's address; returns the delay to apply. */
static double sasl_throttle_fail(const struct xstream *xs)
{
	struct sasl_throttle *t = sasl_throttle_entry(xs->peer);
	int shift = t->failures < SASL_THROTTLE_MAX_SHIFT
			    ? t->failures
			    : SASL_THROTTLE_MAX_SHIFT;
	t->failures++;
	t->last = time(NULL);
	return (double)xmppd_config.auth_failure_delay / 1000.0 * (1 << shift);
}

static struct sasl_exchange *sasl_get(struct xstream *xs)
{
	if (!xs->sasl)
		xs->sasl = calloc(1, sizeof *xs->sasl);
	return xs->sasl;
}

void sasl_free(struct xstream *xs)
{
	if (!xs->sasl)
		return;
	ev_timer_stop(EV_DEFAULT, &xs->delay);
	OPENSSL_cleanse(xs->sasl, sizeof *xs->sasl);
	free(xs->sasl);
	xs->sasl = NULL;
}

static void sasl_send(struct xstream *xs, const char *name, const char *data,
		      size_t len)
{
	struct buf b;
	buf_init(&b, SASL_MAX_DATA * 2);
	buf_printf(&b, "<%s xmlns='%s'", name, NS_SASL);
	if (data && len) {
		char enc[BASE64_ENCODED_LEN(SASL_MAX_DATA) + 1];
		if (base64_encode(data, len, enc, sizeof enc, NULL) == 0)
			buf_printf(&b, ">%s</%s>", enc, name);
		else
			buf_printf(&b, "/>");
	} else if (data) {
		buf_printf(&b, ">=</%s>", name);
	} else {
		buf_append_str(&b, "/>");
	}
	xstream_send_stanza(xs, buf_head(&b), b.len);
	buf_free(&b);
}

static void sasl_delay_done(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct xstream *xs =
		(struct xstream *)((char *)w - offsetof(struct xstream, delay));
	struct sasl_exchange *ex = xs->sasl;
	char failure[128];
	snprintf(failure, sizeof failure, "<failure xmlns='%s'><%s/></failure>",
		 NS_SASL, ex->pending_failure);
	ex->pending_failure = NULL;
	xstream_send_stanza(xs, failure, strlen(failure));
	xs->state = XS_AUTH;
	if (ex->failures >= SASL_MAX_FAILURES)
		xstream_fail(xs, "policy-violation", "too many failures");
}

/* Answers <failure/> with condition, after the configured delay. */
static void sasl_fail(struct xstream *xs, const char *condition)
{
	struct sasl_exchange *ex = xs->sasl;
	ex->failures++;
	ex->pending_failure = condition;
	xs->state = XS_SASL; /* until the failure is sent */
	double delay = sasl_throttle_fail(xs);
	log_info("%s: authentication failed (%s), answered in %.1f s", xs->peer,
		 condition, delay);
	ev_timer_init(&xs->delay, sasl_delay_done, delay, 0);
	ev_timer_start(EV_DEFAULT, &xs->delay);
}

static void sasl_succeed(struct xstream *xs, const char *user,
			 const char *additional)
{
	sasl_send(xs, "success", additional,
		  additional ? strlen(additional) : 0);
	free(xs->user);
	xs->user = strdup(user);
	if (!xs->user) {
		xstream_fail(xs, "resource-constraint", NULL);
		return;
	}
	xs->authenticated = 1;
	sasl_throttle_entry(xs->peer)->failures = 0;
	log_info("%s: authenticated as %s (%s)", xs->peer, user,
		 xs->sasl->mech->name);
	sasl_free(xs); /* ~5 KiB of SCRAM state a session no longer needs */
	xstream_restart(xs);
}

/* A username from SASL as a prepared localpart; -1 if invalid. */
static int sasl_prep_user(const char *in, char *out, size_t outsz)
{
	if (strlen(in) == 0 || strlen(in) >= outsz)
		return -1;
	strcpy(out, in);
	return jid_prep_local(out, outsz);
}

/* The user's credentials for hash, or fake ones (unknown user). */
static void sasl_creds(const char *user, enum scram_hash h,
		       struct scram_creds *c)
{
	if (store_user_get_creds(xmppd_config.store, user, h, c) != 0)
		scram_fake_creds(h, user, xmppd_config.secret,
				 sizeof xmppd_config.secret, c);
}

/* PLAIN: authzid NUL authcid NUL password (RFC 4616). */
static void sasl_plain(struct xstream *xs, const unsigned char *data,
		       size_t len)
{
	const char *authzid = (const char *)data;
	const unsigned char *nul1 = memchr(data, 0, len);
	const unsigned char *nul2 =
		nul1 ? memchr(nul1 + 1, 0, len - (size_t)(nul1 + 1 - data))
		     : NULL;
	if (!nul1 || !nul2 ||
	    memchr(nul2 + 1, 0, len - (size_t)(nul2 + 1 - data))) {
		sasl_fail(xs, "malformed-request");
		return;
	}
	char authcid[JID_PART_MAX + 1], password[SASL_MAX_DATA + 1];
	size_t plen = len - (size_t)(nul2 + 1 - data);
	memcpy(password, nul2 + 1, plen);
	password[plen] = '\0';
	char user[JID_PART_MAX + 1];
	if ((size_t)(nul2 - nul1 - 1) >= sizeof authcid) {
		sasl_fail(xs, "not-authorized");
		return;
	}
	memcpy(authcid, nul1 + 1, (size_t)(nul2 - nul1 - 1));
	authcid[nul2 - nul1 - 1] = '\0';
	if (sasl_prep_user(authcid, user, sizeof user) < 0) {
		sasl_fail(xs, "not-authorized");
		return;
	}
	if (authzid[0]) {
		struct jid z;
		int ok = jid_parse(&z, authzid, strlen(authzid)) == 0 &&
			 !jid_has_resource(&z) && z.local_len &&
			 strncmp(z.full, user, z.local_len) == 0 &&
			 strlen(user) == z.local_len &&
			 strncmp(z.full + z.domain_off, xmppd_config.domain,
				 z.domain_len) == 0 &&
			 strlen(xmppd_config.domain) == z.domain_len;
		if (z.full)
			jid_free(&z);
		if (!ok) {
			sasl_fail(xs, "invalid-authzid");
			return;
		}
	}
	struct scram_creds c;
	sasl_creds(user, SCRAM_SHA256, &c);
	int good = scram_verify_plain(&c, password);
	memset(password, 0, sizeof password);
	if (!good) {
		sasl_fail(xs, "not-authorized");
		return;
	}
	sasl_succeed(xs, user, NULL);
}

/* SCRAM step 1: client-first-message. */
static void sasl_scram_first(struct xstream *xs, const unsigned char *data,
			     size_t len)
{
	struct sasl_exchange *ex = xs->sasl;
	const char *why = "malformed-request";
	scram_server_init(&ex->scram, ex->mech->hash);
	if (scram_server_client_first(&ex->scram, (const char *)data, len,
				      &why) < 0) {
		sasl_fail(xs, why);
		return;
	}
	char user[JID_PART_MAX + 1];
	if (sasl_prep_user(ex->scram.username, user, sizeof user) < 0)
		strcpy(user, "-"); /* fails at the proof, like a bad password */
	struct scram_creds c;
	sasl_creds(user, ex->mech->hash, &c);
	char server_first[SCRAM_MAX_MESSAGE];
	if (scram_server_first(&ex->scram, &c, server_first,
			       sizeof server_first) < 0) {
		sasl_fail(xs, "temporary-auth-failure");
		return;
	}
	snprintf(ex->scram.username, sizeof ex->scram.username, "%s", user);
	xs->state = XS_SASL;
	sasl_send(xs, "challenge", server_first, strlen(server_first));
}

/* SCRAM step 2: client-final-message. */
static void sasl_scram_final(struct xstream *xs, const unsigned char *data,
			     size_t len)
{
	struct sasl_exchange *ex = xs->sasl;
	const char *why = "not-authorized";
	char server_final[SCRAM_MAX_MESSAGE];
	if (scram_server_client_final(&ex->scram, (const char *)data, len,
				      server_final, sizeof server_final,
				      &why) < 0) {
		sasl_fail(xs, why);
		return;
	}
	if (ex->scram.authzid[0]) {
		char expect[2 * JID_PART_MAX + 2];
		snprintf(expect, sizeof expect, "%s@%s", ex->scram.username,
			 xmppd_config.domain);
		if (strcmp(expect, ex->scram.authzid) != 0) {
			sasl_fail(xs, "invalid-authzid");
			return;
		}
	}
	char user[JID_PART_MAX + 1];
	snprintf(user, sizeof user, "%s", ex->scram.username);
	sasl_succeed(xs, user, server_final);
}

static const struct sasl_mech *sasl_find(const char *name)
{
	for (size_t i = 0; name && i < SASL_NMECHS; i++)
		if (strcmp(sasl_mechs[i].name, name) == 0)
			return &sasl_mechs[i];
	return NULL;
}

/* Decodes the base64 text of el ("=" is an empty response). -1 if bad. */
static int sasl_decode(const struct xml_node *el, unsigned char *out,
		       size_t *len, int *empty)
{
	const char *text = xml_node_text(el);
	*empty = !text || !*text;
	*len = 0;
	if (*empty)
		return 0;
	if (strcmp(text, "=") == 0)
		return 0;
	return base64_decode(text, strlen(text), out, SASL_MAX_DATA, len);
}

static void sasl_on_auth(struct xstream *xs, struct xml_node *el)
{
	struct sasl_exchange *ex = xs->sasl;
	ex->mech = sasl_find(xml_node_attr(el, "mechanism"));
	if (!ex->mech) {
		sasl_fail(xs, "invalid-mechanism");
		return;
	}
	if (!ex->mech->is_scram && !xs->secure && !xs->tls) {
		sasl_fail(xs, "encryption-required");
		return;
	}
	unsigned char data[SASL_MAX_DATA + 1];
	size_t len;
	int empty;
	if (sasl_decode(el, data, &len, &empty) < 0) {
		sasl_fail(xs, "incorrect-encoding");
		return;
	}
	if (empty) { /* no initial response: ask for it */
		xs->state = XS_SASL;
		sasl_send(xs, "challenge", "", 0);
		ex->scram.state = SCRAM_WANT_CLIENT_FIRST;
		return;
	}
	if (ex->mech->is_scram)
		sasl_scram_first(xs, data, len);
	else
		sasl_plain(xs, data, len);
}

static void sasl_on_response(struct xstream *xs, struct xml_node *el)
{
	struct sasl_exchange *ex = xs->sasl;
	unsigned char data[SASL_MAX_DATA + 1];
	size_t len;
	int empty;
	if (xs->state != XS_SASL || !ex->mech) {
		xstream_fail(xs, "not-authorized", "no exchange in progress");
		return;
	}
	if (sasl_decode(el, data, &len, &empty) < 0) {
		sasl_fail(xs, "incorrect-encoding");
		return;
	}
	if (!ex->mech->is_scram)
		sasl_plain(xs, data, len);
	else if (ex->scram.state == SCRAM_WANT_CLIENT_FIRST)
		sasl_scram_first(xs, data, len);
	else
		sasl_scram_final(xs, data, len);
}

int sasl_handle(struct xstream *xs, struct xml_node *el)
{
	if (!sasl_get(xs)) {
		xstream_fail(xs, "resource-constraint", NULL);
		return -1;
	}
	if (xs->sasl->pending_failure)
		return 0; /* a failure is on its way: ignore until it is sent */
	if (strcmp(el->name, "auth") == 0)
		sasl_on_auth(xs, el);
	else if (strcmp(el->name, "response") == 0)
		sasl_on_response(xs, el);
	else if (strcmp(el->name, "abort") == 0) {
		static const char aborted[] =
			"<failure xmlns='" NS_SASL "'><aborted/></failure>";
		xstream_send_stanza(xs, aborted, sizeof aborted - 1);
		xs->state = XS_AUTH;
	} else
		xstream_fail(xs, "unsupported-stanza-type", NULL);
	return xs->state == XS_CLOSING ? -1 : 0;
}
