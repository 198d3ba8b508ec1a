/* xmppd.h: xmpp-routerd's private declarations, shared by its files.
 *
 * main.c describes the daemon and its options (into xmppd_config); c2s.c
 * accepts TCP clients; xstream.c runs one XMPP stream (RFC 6120: header,
 * features, SASL, bind) whatever its transport; sasl.c checks credentials;
 * session.c keeps the table of bound sessions; router.c delivers stanzas
 * (RFC 6121 8); iq_server.c answers the IQs addressed to the server. */
#ifndef PARLEY_XMPPD_H
#define PARLEY_XMPPD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "deadline.h"
#include "jid.h"
#include "scram.h"
#include "store.h"
#include "xml.h"
#include "xml_stream.h"

/* A stream without input this long drops its parser state (s). */
#define XSTREAM_IDLE_SECS 5
/* About what an expat parser and its buffers hold (for memtrim). */
#define XSTREAM_PARSER_BYTES 10240

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_CLIENT "jabber:client"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_STANZA_ERRORS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"

#define XMPPD_MAX_STANZA_DEFAULT (256 * 1024)
#define XMPPD_MAX_DEPTH 32
#define XMPPD_OUT_LIMIT (4u * 1024 * 1024) /* per connection */
#define XMPPD_OUT_HIGH (512u * 1024)
#define XMPPD_PEER_MAX 48
#define XMPPD_RESOURCE_GEN_LEN 12
#define XMPPD_LAST_READS 4 /* reads per connection at a stop */

struct xmppd_config {
	const char *domain;
	const char *address;
	long port;
	const char *db_path;
	const char *gateway_socket; /* unix socket for boshd/pollgw, or NULL */
	long gateway_fd;	    /* or this listening socket, given; -1: none */
	long handover_grace;	    /* s a departed gateway's streams are kept */
	const char *control_socket; /* unix socket for parleyctl, or NULL */
	const char *tls_cert, *tls_key;
	int allow_plaintext; /* SASL without TLS off loopback */
	int registration;    /* XEP-0077 in-band registration */
	long max_stanza;
	long max_connections;
	long idle_timeout;       /* seconds without any byte */
	long auth_timeout;       /* seconds to authenticate and bind */
	long auth_failure_delay; /* milliseconds before a SASL failure */
	long offline_max;        /* stored messages per user */
	/* Set up at start: */
	struct store *store;
	unsigned char secret[32]; /* for fake SCRAM credentials */
};

extern struct xmppd_config xmppd_config;

int xmppd_configure(void);

/* ---- xstream.c: one XMPP stream over any transport -------------------- */

struct xstream;

struct xstream_transport {
	const char *name; /* "tcp", "bosh", "poll" */
	/* Queues bytes for the peer. 0, or -1 (the transport is failing: the
	   stream will be closed by the transport through xstream_gone). */
	int (*send)(struct xstream *xs, const char *data, size_t len);
	/* Ends the connection once the queued bytes are sent; the transport
	   then calls xstream_gone. */
	void (*close)(struct xstream *xs);
	/* Switches to TLS after <proceed/> (NULL when not offered). 0 or -1. */
	int (*starttls)(struct xstream *xs);
};

enum xstream_state {
	XS_HEADER,  /* waiting for the stream header */
	XS_AUTH,    /* features sent: starttls or SASL expected */
	XS_SASL,    /* a SASL exchange is in progress */
	XS_BIND,    /* authenticated: resource binding expected */
	XS_ACTIVE,  /* bound: stanzas are routed */
	XS_CLOSING, /* a stream error or close was sent */
};

struct sasl_exchange; /* sasl.c */
struct session;       /* session.c */

struct xstream {
	const struct xstream_transport *transport;
	void *owner;
	enum xstream_state state;
	struct xml_stream *parser;
	unsigned header_sent : 1;
	unsigned secure : 1;   /* TLS or loopback: PLAIN allowed */
	unsigned tls : 1;      /* TLS is actually on */
	unsigned tls_offered : 1;
	unsigned authenticated : 1;
	unsigned restart_pending : 1; /* reset the parser after this feed */
	unsigned registered : 1;      /* made an account (XEP-0077) */
	char id[24];      /* stream id */
	const char *condition; /* the stream error sent, if any (static) */
	char *user;       /* prepared localpart once authenticated */
	struct sasl_exchange *sasl;
	struct session *session; /* once bound */
	ev_timer delay;   /* SASL failure delay */
	struct deadline_entry idle; /* XSTREAM_IDLE_SECS after the last input */
	char peer[XMPPD_PEER_MAX];
	time_t since;
	uint64_t bytes_in, bytes_out, stanzas_in, stanzas_out;
};

/* Sets up xs for a new connection. secure says whether PLAIN may be used
   without TLS (loopback, or allowed by configuration). 0, or -1 (ENOMEM). */
int xstream_init(struct xstream *xs, const struct xstream_transport *t,
		 void *owner, const char *peer, int secure, int tls_offered);
/* Bytes from the peer (plaintext). 0, or -1 if the stream is over. */
int xstream_feed(struct xstream *xs, const char *data, size_t len);
/* The client must open a new stream (after SASL success). */
void xstream_restart(struct xstream *xs);
/* The transport switched to TLS: the next bytes start a new stream. */
void xstream_tls_started(struct xstream *xs);
/* Sends a stream error with condition and closes (text may be NULL). */
void xstream_fail(struct xstream *xs, const char *condition, const char *text);
/* Sends </stream:stream> and closes (server shutdown: system-shutdown). */
void xstream_end(struct xstream *xs);
/* The transport is gone (peer closed, error, or after close): ends the
   session (unavailable presence) and frees what xs holds (not xs). */
void xstream_gone(struct xstream *xs);
/* Sends a serialised stanza (counts it). 0 or -1. */
int xstream_send_stanza(struct xstream *xs, const char *xml, size_t len);
/* Serialises and sends a node. 0 or -1. */
int xstream_send_node(struct xstream *xs, const struct xml_node *n);
/* Starts the worker's idle timer: a stream without input for
   XSTREAM_IDLE_SECS lets its parser drop its expat state (~10 KiB). */
void xstream_start(struct ev_loop *loop);
void xstream_stop(void);

/* ---- sasl.c ------------------------------------------------------------- */

/* Writes the <mechanisms/> feature for xs into features. */
void sasl_add_mechanisms(struct xstream *xs, struct xml_node *features);
/* Handles <auth/>, <response/> or <abort/>. 0, or -1 if xs was closed. */
int sasl_handle(struct xstream *xs, struct xml_node *el);
void sasl_free(struct xstream *xs);

/* ---- session.c: bound resources ----------------------------------------- */

struct session {
	struct session *next_of_user; /* other resources of the same user */
	struct session *hash_next;
	struct xstream *xs;
	struct jid jid; /* full */
	int available;  /* sent initial presence */
	int priority;
	int interested; /* requested the roster (RFC 6121 2.1.6) */
	int carbons;    /* enabled message carbons (XEP-0280) */
	char *presence; /* last available presence, serialised; NULL if none */
};

/* Binds resource (NULL or "" for a generated one) for xs's user.
   An older session of the same full JID is replaced (it gets
   <conflict/>). 0, or -1 with errno (EINVAL: bad resource -> bad-request;
   EMFILE: too many resources -> resource-constraint). */
int session_bind(struct xstream *xs, const char *resource);
void session_unbind(struct session *s);
/* The sessions of a bare user (linked by next_of_user), or NULL. */
struct session *session_find_user(const char *user);
struct session *session_find_full(const struct jid *full);
size_t session_count(void);
/* Calls fn for every session; fn returns 0 to go on. */
void session_foreach(int (*fn)(struct session *s, void *ctx), void *ctx);

/* ---- router.c: stanzas from bound clients ------------------------------- */

/* Routes a stanza sent by session s (from is stamped here). Takes the
   tree (frees its arena). 0, or -1 if s's stream was closed. */
int router_from_client(struct session *s, struct xml_node *stanza);
/* Sends an error reply for stanza back to s. */
void router_bounce(struct session *s, const struct xml_node *stanza,
		   const char *type, const char *condition);
/* A stanza routed to one of user's sessions that its gateway could not
   deliver before the client left (PROTOCOL.md 9.5, XEP-0206 7), after the
   session ended: a message goes to the user as if to the bare JID (another
   resource, or offline storage), a request iq gets service-unavailable
   back to its sender if local, the rest is dropped. Takes the tree. */
void router_redeliver(const char *user, struct xml_node *stanza);
/* Parses the concatenated stanzas xml[0..len) (each with its xmlns) and
   hands each to router_redeliver (redeliver.c). */
void redeliver_stanzas(const char *user, const char *xml, size_t len);
/* A session is ending: if it had sent available presence, its contacts
   and other resources get unavailable presence. */
void router_session_ended(struct session *s);

/* Stanzas routed since start, and per second over the last 10 s. */
uint64_t router_stanzas_total(void);
uint64_t router_stanza_rate(void);

/* user has blocked (blocked = 1) or unblocked the bare JID j: each side
   sees the other go offline, or come back as their subscriptions allow
   (XEP-0191 3.3, 3.4). */
void router_block_changed(const char *user, const struct jid *j, int blocked);

/* ---- iq_server.c: IQs to the server or to a bare JID ------------------ */

/* Answers an IQ addressed to the server (to == NULL or the domain) or to
   the sender's own bare JID. */
void iq_server_handle(struct session *s, struct xml_node *iq);

/* ---- gateway.c: virtual streams of boshd and pollgw ---------------------- */

int gateway_setup(void);
void gateway_start(struct ev_loop *loop);
void gateway_stop(struct ev_loop *loop);

/* ---- c2s.c: the TCP client listener -------------------------------------- */

int c2s_setup(void);
int c2s_start(struct ev_loop *loop, int index);
void c2s_stop(struct ev_loop *loop);

#endif
