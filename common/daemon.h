/* daemon.h: the skeleton that every Parley daemon's main() hands over to.
 *
 * A daemon describes itself in a struct daemon_desc (name, options,
 * callbacks); daemon_main parses the environment and the command line,
 * answers --help, --version and --check, raises the descriptor limit, runs
 * setup (open listeners: fail loudly here), forks the workers if asked,
 * tells s6 it is ready (a newline on the notification fd), and runs each
 * worker's libev loop. Signals: SIGTERM/SIGINT stop gracefully (the worker
 * stops accepting and its loop ends when its in-flight work is done, or
 * after DAEMON_STOP_GRACE seconds), SIGHUP reloads, SIGUSR1/SIGUSR2 raise
 * and lower the log level. A master restarts a worker that dies.
 * Exit codes: 0 clean stop, 100 bad usage or configuration, 111 temporary
 * failure. */
#ifndef PARLEY_DAEMON_H
#define PARLEY_DAEMON_H

#include <ev.h>

#include "opt.h"

#define DAEMON_EXIT_OK 0
#define DAEMON_EXIT_USAGE 100
#define DAEMON_EXIT_TEMPORARY 111
#define DAEMON_STOP_GRACE 10.0
#define DAEMON_MAX_WORKERS 64

struct daemon_desc {
	const char *name;	/* "http-filed" */
	const char *env_prefix; /* "HTTP_FILED": standard options read
				   HTTP_FILED_NOTIFY_FD, _LOG_LEVEL */
	const char *summary;	/* one line for --help */
	const struct opt *opts; /* the daemon's own options */
	/* Validates the configuration after parsing; 0, or an exit code after
	   logging why. Also what --check runs. */
	int (*configure)(void);
	/* In the master, before forking: opens listeners and everything whose
	   failure must stop the start. 0, or an exit code after logging. */
	int (*setup)(int nworkers);
	/* NULL for a single-process daemon; otherwise the worker count option
	   (0 = one per core). */
	long *workers;
	/* In each worker: starts watchers on loop. 0, or -1 after logging. */
	int (*worker_start)(struct ev_loop *loop, int index);
	/* SIGTERM in a worker: stop accepting new work; the loop ends when no
	   watcher is left active. */
	void (*worker_stop)(struct ev_loop *loop);
	/* SIGHUP in a worker; may be NULL. */
	void (*worker_reload)(struct ev_loop *loop);
};

/* Runs the daemon; returns the process exit code. */
int daemon_main(const struct daemon_desc *d, int argc, char **argv);

/* 1 once a stop has been requested in this worker. */
int daemon_is_stopping(void);

#endif
