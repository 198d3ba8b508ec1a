/* load.h: parley-load, the XMPP load generator: what its modules share.
 *
 * One process, one libev loop, thousands of simulated users. Each user
 * (struct user) runs the login state machine of xmpp.c over a transport
 * (struct transport: tcp.c for XMPP over TCP, bosh.c for XEP-0124/0206
 * over the HTTP client of http.c, poll.c for XEP-0025 polling). The
 * run (run.c) ramps users up, holds them idle or makes them chat in pairs
 * (scenario.c, counting each message once in the ledger of ledger.c),
 * logs users in again after their session ends with --reconnect
 * (relogin.c), writes its live counters with --stats-file (live.c),
 * closes them and reports (report.c). Every bound of the program is a
 * named constant here. A user's transport state is owned by
 * the transport and freed only by its drop(), called by the reaper in
 * user.c after the current callback has returned. */
#ifndef PARLEY_LOAD_H
#define PARLEY_LOAD_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "histo.h"
#include "xml.h"

/* ---- limits ---- */
#define LOAD_MAX_USERS 1000000
#define LOAD_MAX_SOURCES 256	  /* --source-addresses */
#define LOAD_PATTERN_MAX 64	  /* each side of %d in --user-pattern */
#define LOAD_NAME_MAX 160	  /* a user name, a JID's localpart */
#define LOAD_JID_MAX 512	  /* a bound full JID */
#define LOAD_STANZA_MAX 65536	  /* one received stanza */
#define LOAD_STANZA_DEPTH 16	  /* element nesting in one stanza */
#define LOAD_OUT_MAX 262144	  /* unsent bytes of one connection */
#define LOAD_BOSH_QUEUE_MAX 65536 /* stanzas waiting for a BOSH request */
#define LOAD_READ_CHUNK 65536	  /* the shared read buffer */
#define LOAD_SCRATCH_MAX 8192	  /* one stanza being written */
#define LOAD_LOGGED_FAILURES 5	  /* failures of one kind logged in full */
#define LOAD_CLOSE_SECONDS 3.0	  /* how long closing may take at the end */
#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_BODY 1048576
#define HTTP_HOST_MAX 256
#define HTTP_PATH_MAX 1024
#define BOSH_SID_MAX 128
#define BOSH_REQUEST_MARGIN 30	  /* seconds past wait before a timeout */
#define POLL_ID_MAX 64		  /* an XEP-0025 identifier */
#define POLL_KEYS 32		  /* keys in one key sequence, K(32)..K(1) */
#define POLL_QUEUE_MAX 65536	  /* stream bytes waiting for a request */
#define POLL_REQUEST_SECONDS 30.0 /* an unanswered poll: a timeout */
#define POLL_AGAIN_SECONDS 0.1	  /* the next poll after data came */
#define POLL_TICK_SECONDS 0.005	  /* the timer that spreads the polls */
#define POLL_LATE_SECONDS 0.25	  /* past --poll-min-interval: a late answer */
#define POLL_EARLY_SECONDS 0.05	  /* a slot this early is still on time */
#define LOAD_RESENDS 5		  /* BOSH, polling: a request sent again */
#define LOAD_RESEND_DELAY 0.1	  /* before the first resend; doubles */
#define LOAD_RELOGIN_FIRST 0.2	  /* --reconnect: mean first backoff, s */
#define LOAD_RELOGIN_MAX 4.0	  /* and the longest mean backoff */
#define LOAD_MESSAGES_MAX (1UL << 28) /* messages one run can track */
#define LOAD_LOST_SECONDS_MAX 64      /* seconds listed in lost_by_second */
#define LOAD_STATS_EVERY 1.0	      /* --stats-file: seconds between writes */

/* ---- configuration (config.c) ---- */

enum sasl_mech {
	SASL_PLAIN,
	SASL_SCRAM_SHA1,
};

enum load_scenario {
	SCENARIO_IDLE,
	SCENARIO_PAIRS,
};

struct transport;

struct load_config {
	const struct transport *transport;
	struct sockaddr_in server; /* --host, --port */
	const char *domain;
	struct sockaddr_in bosh_server; /* from --bosh-url */
	char bosh_host[HTTP_HOST_MAX];	/* its Host header */
	char bosh_path[HTTP_PATH_MAX];
	struct sockaddr_in poll_server; /* from --poll-url */
	char poll_host[HTTP_HOST_MAX];
	char poll_path[HTTP_PATH_MAX];
	double poll_interval;	  /* --poll-interval, seconds */
	double poll_min_interval; /* --poll-min-interval, seconds */
	long users, first;
	char user_prefix[LOAD_PATTERN_MAX]; /* --user-pattern before %d */
	char user_suffix[LOAD_PATTERN_MAX]; /* and after it */
	const char *password;
	enum sasl_mech sasl;
	enum load_scenario scenario;
	long ramp, duration, rate, grace, wait, timeout;
	long max_pending; /* logins in flight at once, 0 = no limit */
	struct sockaddr_in sources[LOAD_MAX_SOURCES];
	size_t nsources; /* 0: the kernel picks the source address */
	int json;
	int reconnect;		/* --reconnect */
	const char *stats_file; /* --stats-file, or NULL */
	long notify_fd;		/* -1: none */
	int log_level;
};

/* Parses argv into cfg; exits 0 after --help or --version and 100 on bad
   usage, with one line naming the problem. */
void config_parse(struct load_config *cfg, int argc, char **argv);
/* The user name of user number index (0-based) into out. */
void config_user_name(const struct load_config *cfg, size_t index, char *out,
		      size_t outsz);

/* ---- failures and statistics ---- */
enum fail_kind {
	FAIL_CONNECT,
	FAIL_AUTH,
	FAIL_BIND,
	FAIL_STREAM, /* a stream error, or a BOSH terminate */
	FAIL_TIMEOUT,
	FAIL_HTTP,   /* an HTTP status other than 200, or a bad response */
	FAIL_CLOSED, /* the server closed the connection without a word */
	FAIL_KINDS,
};

const char *fail_kind_name(enum fail_kind k);

struct load_stats {
	unsigned long started;		  /* users whose first login began */
	unsigned long online;		  /* online now */
	unsigned long online_at_end;	  /* online when the run phase ended */
	unsigned long connected;	  /* users that ever reached online */
	unsigned long failed[FAIL_KINDS]; /* every failure, relogins' too */
	unsigned long login_failed;	/* of them: first logins that failed */
	unsigned long dropped;		/* of them: sessions lost after login */
	unsigned long relogin_attempts; /* --reconnect: logins started again */
	unsigned long relogins;		/* of them, back online */
	unsigned long refused;		/* connects refused (ECONNREFUSED) */
	unsigned long resets;		/* connections reset (ECONNRESET) */
	unsigned long http_5xx;		/* HTTP answers with a 5xx status */
	unsigned long resent;		/* BOSH, polling requests sent again */
	unsigned long sent;	  /* chat messages handed to a transport */
	unsigned long received;	  /* ours, received in time, once each */
	unsigned long duplicated; /* ours, received again */
	unsigned long unsent;	  /* messages still in a dead session's queue */
	unsigned long unsendable; /* a send skipped: queue full */
	unsigned long foreign;	  /* messages that were not this run's */
	unsigned long polls;	  /* XEP-0025 requests made */
	unsigned long polls_run;  /* of them, during the run phase */
	unsigned long polls_late; /* in the run, slots when a poll was late */
	struct histo latency;	  /* of the received ones, microseconds */
};

/* ---- users ---- */
enum user_state {
	USER_NEW,     /* not started */
	USER_LOGIN,   /* connecting, authenticating, binding */
	USER_ONLINE,  /* initial presence sent */
	USER_CLOSING, /* asked to close at the end of the run */
	USER_CLOSED,  /* closed cleanly */
	USER_FAILED,
};

struct load;
struct sasl_client;

struct user {
	struct deadline_entry deadline; /* first: the login timeout */
	struct load *load;
	void *conn;		  /* the transport's state, NULL if none */
	struct sasl_client *sasl; /* during authentication only */
	char *jid;		  /* bound full JID (malloc), or NULL */
	struct user *reap_next;	  /* on the reaper's list */
	uint32_t index;		  /* 0-based; the name is first + index */
	uint32_t sent_seq;	  /* scenario.c: messages this user sent */
	uint8_t state;		  /* enum user_state */
	uint8_t step;		  /* xmpp.c's login step */
	uint8_t session_needed;	  /* the server wants <session/> */
	uint8_t reaping;	  /* on the reaper's list */
	uint8_t relogging;	  /* this login is a --reconnect one */
	uint8_t backoff;	  /* relogin attempts since last online */
	uint8_t relogin_due;	  /* waiting in relogin.c's heap */
};

/* ---- transports ---- */
struct transport {
	const char *name;
	/* Sets up what the transport shares between users. 0 or -1. */
	int (*init)(struct load *l);
	/* Descriptors a user may hold at once in this scenario. */
	unsigned (*fds_per_user)(enum load_scenario s);
	/* Connects and opens the stream. 0, or -1 after user_fail. */
	int (*start)(struct user *u);
	/* Queues one serialised stanza. 0, or -1 with ENOBUFS (queue full)
	   or after user_fail. */
	int (*send)(struct user *u, const char *xml, size_t len);
	/* A new stream after SASL success (called from xmpp_on_element). */
	void (*restart)(struct user *u);
	/* Ends the session politely, then calls user_closed (or user_fail). */
	void (*stop)(struct user *u);
	/* Frees the transport state at once; never calls back. */
	void (*drop)(struct user *u);
};

extern const struct transport transport_tcp;
extern const struct transport transport_bosh;
extern const struct transport transport_poll;

/* ---- the message ledger (ledger.c) ---- */
/* Every message of the run has a number, 0 up, and one bit: received.
   marks[k] is the first number sent in the Unix second first_second + k,
   so a lost message's number tells when it was sent. */
struct ledger {
	unsigned char *seen; /* one bit per message number */
	unsigned char *withdrawn; /* as many: known not to have gone out */
	size_t seen_bytes;
	unsigned long *marks;
	size_t nmarks, marks_cap;
	long first_second;
	int full; /* LOAD_MESSAGES_MAX reached: no more sends */
};

/* ---- relogins (relogin.c) ---- */
struct relogin_entry {
	ev_tstamp at;
	uint32_t index;
};
struct relogin_heap {
	struct relogin_entry *e; /* a binary min-heap on at */
	size_t n, cap;
	ev_timer timer;
};

/* ---- the run (run.c) ---- */
enum load_phase {
	PHASE_RAMP,
	PHASE_RUN,
	PHASE_GRACE,
	PHASE_CLOSE,
	PHASE_DONE,
};

struct load {
	struct ev_loop *loop;
	const struct load_config *cfg;
	struct user *users; /* cfg->users of them */
	struct load_stats stats;
	enum load_phase phase;
	uint32_t run_id; /* tags this run's messages */
	size_t next_to_start;
	size_t closing; /* users asked to close and not done yet */
	ev_tstamp t_begin, t_online, t_run_end, t_end;
	double cpu_at_online; /* own CPU seconds when the ramp ended */
	struct deadline_list login_deadlines;
	void *transport_state; /* owned by the transport's init */
	struct user *reap_list;
	ev_check reaper;
	ev_timer ramp_timer, progress_timer, phase_timer, send_timer;
	ev_timer stats_timer;
	ev_signal sigint, sigterm, sigusr1;
	struct ledger ledger;
	struct relogin_heap relogin;
	size_t send_cursor;	/* scenario.c: the next sender */
	unsigned long due_sent; /* scenario.c: sends attempted */
	ev_tstamp send_t0;
	unsigned long logged[FAIL_KINDS];
};

/* This process's CPU time so far (user + system), in seconds. */
double load_cpu_seconds(void);
/* Runs the whole test with cfg; returns when it is over. */
void run_load(struct load *l, const struct load_config *cfg);
/* Called by user.c when a user reaches online or fails during the ramp. */
void run_login_settled(struct load *l);
/* Called by user.c when a closing user is done. */
void run_close_settled(struct load *l);

/* ---- user lifecycle (user.c) ---- */
void user_init(struct user *u, struct load *l, uint32_t index);
void user_start(struct user *u);
/* Login done: initial presence is out. */
void user_online(struct user *u);
/* Counts the failure, logs the first few of each kind, and hands the
   transport state to the reaper: after this, the transport must not
   touch its state once the current callback returns. Does nothing if the
   user already failed or closed. */
void user_fail(struct user *u, enum fail_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The polite close asked by user_stop finished. */
void user_closed(struct user *u);
/* Asks an online or logging-in user to close (end of the run). */
void user_stop(struct user *u);
int user_is_gone(const struct user *u);
void user_reaper_init(struct load *l);

/* ---- relogins (relogin.c) ---- */
void relogin_init(struct load *l);
/* With --reconnect, whether a user failing this way logs in again. */
int relogin_wanted(const struct user *u, enum fail_kind kind);
/* Schedules u's next login after a randomised backoff that grows with
   u->backoff. */
void relogin_schedule(struct user *u);
/* No more relogins (the run is closing). */
void relogin_stop(struct load *l);
void relogin_free(struct load *l);

/* ---- the ledger (ledger.c) ---- */
/* The number of the next message sent now, or -1 when the ledger is full
   (LOAD_MESSAGES_MAX) or out of memory. */
long ledger_next(struct load *l);
/* Message number n arrived: 0 the first time, 1 again (a duplicate), -1
   if no such message was sent. */
int ledger_receive(struct load *l, unsigned long n);
/* Message n never reached the server, and the client knows it (its
   session ended with it still queued, or in the request whose answer
   ended the session): not lost, but unsent. */
void ledger_withdraw(struct load *l, unsigned long n);
/* Messages sent and never received. */
unsigned long ledger_lost(const struct load *l);
/* Calls fn for each second in which lost messages were sent, oldest
   first, with their count; at most max seconds, then once more with
   second -1 and the count of the rest. */
void ledger_lost_by_second(const struct load *l, size_t max,
			   void (*fn)(long second, unsigned long count,
				      void *ctx),
			   void *ctx);
void ledger_free(struct load *l);

/* ---- live counters (live.c) ---- */
/* With --stats-file: writes the counters now and every LOAD_STATS_EVERY
   seconds, and on SIGUSR1. */
void live_start(struct load *l);
/* Writes them one last time (at the end). */
void live_write(struct load *l);

/* ---- XMPP (xmpp.c) ---- */
/* A top-level element arrived; the callee frees it. 0, or -1 if the user
   has failed (the transport stops reading). */
int xmpp_on_element(struct user *u, struct xml_node *el);
/* Sends a chat message with body text to jid. 0 or -1 as transport send. */
int xmpp_send_chat(struct user *u, const char *to, const char *body);
/* A transport drops u's queue of unsent bytes: if u failed, the chat
   messages that begin in it count as unsent (they never reached the
   network, so the server cannot be blamed for them). */
void xmpp_count_unsent(struct user *u, const char *data, size_t len);

/* ---- scenarios (scenario.c) ---- */
void scenario_start(struct load *l);
void scenario_stop(struct load *l);
/* A chat message body arrived for u. */
void scenario_on_body(struct user *u, const char *body);
/* The number of the run's chat message whose body text begins here (len
   bytes, not NUL-terminated), or -1 if it is not one. */
long scenario_message_number(const struct load *l, const char *text,
			     size_t len);

/* ---- network (net.c) ---- */
/* Raises RLIMIT_NOFILE to the hard limit; warns if below need. */
void net_raise_fd_limit(unsigned long need);
/* Warns if conns exceed the ephemeral ports of the source addresses. */
void net_check_ports(const struct load_config *cfg, unsigned long conns);
/* A non-blocking TCP socket bound to the next source address (round
   robin) and connecting to to. The fd, or -1 with errno. */
int net_connect(const struct load_config *cfg, const struct sockaddr_in *to);
/* After the socket became writable: 0 if connected, else -1 with errno. */
int net_connect_result(int fd);
/* The shared read buffer (the loop is single-threaded). */
char *net_read_buffer(void);
/* Counts a socket error: refused (ECONNREFUSED) or reset (ECONNRESET).
   errno is preserved. */
void net_count_error(struct load *l, int err);

/* ---- report (report.c) ---- */
void report_print(const struct load *l);
/* The name of a phase, for the report and the live counters. */
const char *report_phase_name(enum load_phase p);

/* Monotonic microseconds, for message timestamps. */
uint64_t load_now_us(void);

#endif
