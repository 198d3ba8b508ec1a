/* ctl_server.h: the daemon side of a control socket (common/PROTOCOL.md,
 * section 10), shared by xmpp-routerd and boshd and spoken by parleyctl.
 *
 * The daemon gives a socket path and a table of commands; this module
 * listens (mode 0600), keeps at most CTL_MAX_CLIENTS framed connections,
 * parses each CTL_REQUEST, finds the command by its exact name, checks
 * the operand count and runs it. The command writes records with
 * ctl_field / ctl_number / ctl_record_end (stopping once
 * ctl_reply_is_over) and returns a status; CTL_END follows. An answer is
 * bounded by CTL_REPLY_MAX, past which it ends with status 2 (truncated).
 * Anything that is not a well-formed CTL_REQUEST closes that connection
 * alone. One control socket per process. */
#ifndef PARLEY_CTL_SERVER_H
#define PARLEY_CTL_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_CLIENTS 16
/* An answer stops here and ends with status 2 (truncated): the records
   then fit the framed connection's output queue. */
#define CTL_REPLY_MAX (12u * 1024 * 1024)
#define CTL_MAX_ARGS 8
#define CTL_COMMAND_MAX 64

/* One request being answered (opaque: only the helpers below touch it). */
struct ctl_reply;

/* One operand: bytes inside the request, not NUL-terminated. */
struct ctl_arg {
	const char *p;
	size_t len;
};

struct ctl_command {
	const char *name; /* in full, e.g. "session list" */
	size_t nargs;	  /* operands required, exactly */
	/* Writes the records; returns the status (enum frame_ctl_status),
	 *msg a static text for CTL_END's MESSAGE, or left NULL. */
	uint32_t (*run)(struct ctl_reply *r, const struct ctl_arg *args,
			const char **msg);
};

/* Opens the control socket at path (mode 0600; NULL: none, nothing to
   do) serving the ncommands commands of table (which must outlive the
   server), with role as the HELLO role. Called at start-up; logs what it
   did. 0, or DAEMON_EXIT_USAGE if the socket cannot be made. */
int ctl_server_setup(const char *path, const char *role,
		     const struct ctl_command *table, size_t ncommands);
/* Starts accepting on loop (nothing if no socket was opened). */
void ctl_server_start(struct ev_loop *loop);
/* Closes the socket and every control connection. */
void ctl_server_stop(struct ev_loop *loop);

/* Adds a text field name=value (name of [a-z0-9_]) to the record. */
void ctl_field(struct ctl_reply *r, const char *name, const char *value);
/* Adds an unsigned number field to the record. */
void ctl_number(struct ctl_reply *r, const char *name, uint64_t value);
/* Sends the record built so far as one CTL_REPLY; the next field starts
   a new record. Dropped once the reply is over. */
void ctl_record_end(struct ctl_reply *r);
/* 1 once no further record can go out (CTL_REPLY_MAX reached, the
   connection broken, or a record could not be built): a command listing
   many things stops there. */
int ctl_reply_is_over(const struct ctl_reply *r);

/* The resident set size of this process in KiB (VmRSS), 0 if unknown. */
uint64_t ctl_memory_kib(void);
/* Seconds since ctl_server_setup (the daemon's start-up). */
uint64_t ctl_uptime(void);

#endif
