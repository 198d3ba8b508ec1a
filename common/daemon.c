/* daemon.c: the daemon skeleton (see daemon.h). The master, when there are
 * several workers, waits for signals with sigwaitinfo and never runs an
 * event loop; each worker runs its own libev default loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static const struct daemon_desc *daemon_desc;
static int daemon_stopping;
static ev_signal daemon_signal_watchers[6];
static ev_timer daemon_grace_timer;

struct daemon_std {
	int help, version, check;
	long notify_fd;
	int log_level;
};

static struct daemon_std daemon_std = {.notify_fd = -1,
				       .log_level = LOG_LEVEL_INFO};

int daemon_is_stopping(void)
{
	return daemon_stopping;
}

/* Builds the full option table: the daemon's own entries, then the
   standard ones, whose environment variables carry the daemon's prefix. */
static struct opt *daemon_options(const struct daemon_desc *d)
{
	static char env_notify[64], env_level[64];
	snprintf(env_notify, sizeof env_notify, "%s_NOTIFY_FD", d->env_prefix);
	snprintf(env_level, sizeof env_level, "%s_LOG_LEVEL", d->env_prefix);
	const struct opt std[] = {
		{"notify-fd", 'd', env_notify, OPT_LONG, &daemon_std.notify_fd,
		 0, 1023, NULL, "FD",
		 "write a newline to FD once ready (s6 notification-fd)"},
		{"log-level", 'l', env_level, OPT_LEVEL, &daemon_std.log_level,
		 0, 0, NULL, "LEVEL", "error, warn, info or debug (info)"},
		{"check", 'n', NULL, OPT_FLAG, &daemon_std.check, 0, 0, NULL,
		 NULL, "check the configuration and exit"},
		{"help", 'h', NULL, OPT_FLAG, &daemon_std.help, 0, 0, NULL,
		 NULL, "show this help and exit"},
		{"version", 'V', NULL, OPT_FLAG, &daemon_std.version, 0, 0,
		 NULL, NULL, "show the version and exit"},
	};
	size_t n = 0;
	while (d->opts[n].long_name)
		n++;
	size_t nstd = sizeof std / sizeof std[0];
	struct opt *all = calloc(n + nstd + 1, sizeof *all);
	if (!all)
		return NULL;
	memcpy(all, d->opts, n * sizeof *all);
	memcpy(all + n, std, sizeof std);
	return all;
}

static void daemon_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit: %m");
	}
}

static void daemon_notify_ready(void)
{
	if (daemon_std.notify_fd < 0)
		return;
	int fd = (int)daemon_std.notify_fd;
	if (write(fd, "\n", 1) != 1)
		log_warn("notification fd %d: %m", fd);
	close(fd);
	daemon_std.notify_fd = -1;
}

static void daemon_grace_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	log_warn("stop: grace period over, exiting with work in flight");
	ev_break(loop, EVBREAK_ALL);
}

static void daemon_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	switch (w->signum) {
	case SIGTERM:
	case SIGINT:
		if (daemon_stopping)
			return;
		daemon_stopping = 1;
		log_info("stop requested (signal %d)", w->signum);
		daemon_desc->worker_stop(loop);
		ev_timer_init(&daemon_grace_timer, daemon_grace_expired,
			      DAEMON_STOP_GRACE, 0);
		ev_timer_start(loop, &daemon_grace_timer);
		ev_unref(loop);
		break;
	case SIGHUP:
		if (daemon_desc->worker_reload)
			daemon_desc->worker_reload(loop);
		break;
	case SIGUSR1:
		log_set_level(log_get_level() + 1);
		break;
	case SIGUSR2:
		log_set_level(log_get_level() - 1);
		break;
	}
}

static const int daemon_worker_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1,
					    SIGUSR2};

/* Runs one worker's loop to its end; returns the exit code. */
static int daemon_run_worker(int index)
{
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_error("cannot start the event loop");
		return DAEMON_EXIT_TEMPORARY;
	}
	size_t nsig = sizeof daemon_worker_signals / sizeof(int);
	for (size_t i = 0; i < nsig; i++) {
		ev_signal *w = &daemon_signal_watchers[i];
		ev_signal_init(w, daemon_on_signal, daemon_worker_signals[i]);
		ev_signal_start(loop, w);
		ev_unref(loop);
	}
	sigset_t all;
	sigemptyset(&all);
	for (size_t i = 0; i < nsig; i++)
		sigaddset(&all, daemon_worker_signals[i]);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (daemon_desc->worker_start(loop, index) < 0)
		return DAEMON_EXIT_TEMPORARY;
	if (index == 0 && !daemon_desc->workers)
		daemon_notify_ready();
	ev_run(loop, 0);
	log_info("worker %d stopped", index);
	return DAEMON_EXIT_OK;
}

static pid_t daemon_fork_worker(int index)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %m");
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (daemon_std.notify_fd >= 0)
			close((int)daemon_std.notify_fd);
		daemon_std.notify_fd = -1;
		exit(daemon_run_worker(index));
	}
	return pid;
}

static int daemon_worker_count(void)
{
	long n = *daemon_desc->workers;
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > DAEMON_MAX_WORKERS)
		n = DAEMON_MAX_WORKERS;
	return (int)n;
}

static void daemon_signal_workers(const pid_t *pids, int n, int sig)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
}

/* Reaps dead workers; restarts them unless stopping. Returns how many are
   still alive. */
static int daemon_reap(pid_t *pids, int n, int stopping)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			if (stopping)
				break;
			log_warn("worker %d (pid %d) died (status %d), "
				 "restarting",
				 i, (int)pid, status);
			struct timespec pause = {0, 200 * 1000 * 1000};
			nanosleep(&pause, NULL);
			pids[i] = daemon_fork_worker(i);
		}
	}
	int alive = 0;
	for (int i = 0; i < n; i++)
		alive += pids[i] > 0;
	return alive;
}

/* The master of several workers: forwards signals, restarts the dead. */
static int daemon_run_master(int n, const sigset_t *set)
{
	pid_t pids[DAEMON_MAX_WORKERS] = {0};
	for (int i = 0; i < n; i++)
		if ((pids[i] = daemon_fork_worker(i)) < 0)
			return DAEMON_EXIT_TEMPORARY;
	daemon_notify_ready();
	int stopping = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			if (daemon_reap(pids, n, stopping) == 0 && stopping)
				return DAEMON_EXIT_OK;
		} else if (sig == SIGTERM || sig == SIGINT) {
			stopping = 1;
			alarm((unsigned)DAEMON_STOP_GRACE + 2);
			daemon_signal_workers(pids, n, SIGTERM);
		} else if (sig == SIGALRM) {
			log_warn("workers did not stop in time, killing them");
			daemon_signal_workers(pids, n, SIGKILL);
		} else {
			daemon_signal_workers(pids, n, sig);
		}
	}
}

static int daemon_usage_or_version(const struct opt *all, char **argv)
{
	if (daemon_std.help) {
		opt_usage(stdout, daemon_desc->name, daemon_desc->summary, all);
		return 1;
	}
	if (daemon_std.version) {
		printf("%s %s\n", daemon_desc->name, PARLEY_VERSION);
		return 1;
	}
	(void)argv;
	return 0;
}

int daemon_main(const struct daemon_desc *d, int argc, char **argv)
{
	daemon_desc = d;
	log_init(d->name);
	struct opt *all = daemon_options(d);
	if (!all)
		return DAEMON_EXIT_TEMPORARY;
	int first = opt_parse(all, argc, argv);
	if (first < 0 || (first < argc && !daemon_std.help)) {
		if (first >= 0)
			fprintf(stderr, "%s: unexpected argument: %s\n",
				d->name, argv[first]);
		fprintf(stderr, "%s: try --help\n", d->name);
		free(all);
		return DAEMON_EXIT_USAGE;
	}
	int done = daemon_usage_or_version(all, argv);
	free(all);
	if (done)
		return DAEMON_EXIT_OK;
	log_set_level(daemon_std.log_level);
	int rc = d->configure();
	if (rc != 0 || daemon_std.check) {
		if (daemon_std.check && rc == 0)
			printf("%s: configuration ok\n", d->name);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	daemon_raise_fd_limit();
	sigset_t set;
	sigemptyset(&set);
	int master_signals[] = {SIGTERM, SIGINT,  SIGHUP, SIGUSR1,
				SIGUSR2, SIGCHLD, SIGALRM};
	for (size_t i = 0; i < sizeof master_signals / sizeof(int); i++)
		sigaddset(&set, master_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int nworkers = d->workers ? daemon_worker_count() : 1;
	if ((rc = d->setup(nworkers)) != 0)
		return rc;
	if (!d->workers)
		return daemon_run_worker(0);
	log_info("starting %d workers", nworkers);
	return daemon_run_master(nworkers, &set);
}
