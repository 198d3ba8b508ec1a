/* gw_handover.c: the hand-over of a gateway's sessions to its successor
 * (gw_handover.h): the state directory's lock, the file's header fields,
 * the walk over its records, and the planned stop's save step. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "daemon.h"
#include "gw_handover.h"
#include "gw_stop.h"
#include "handover.h"
#include "log.h"

static const char *gw_handover_dir; /* NULL: no hand-over */
static const struct gw_handover_ops *gw_handover_ops;
static char gw_handover_token[HANDOVER_TOKEN_LEN + 1]; /* "": none came */
static int gw_handover_lock_fd = -1;
static int gw_handover_adopted; /* STREAM_ADOPT sent (or given up) once */
static void (*gw_handover_front)(void); /* to call once adopted */
static ev_timer gw_handover_wait;
static struct ev_loop *gw_handover_loop;

int gw_handover_setup(const char *dir, const struct gw_handover_ops *ops)
{
	gw_handover_ops = ops;
	if (!dir)
		return 0;
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s.lock", dir, ops->role);
	if (n < 0 || (size_t)n >= sizeof path) {
		log_error("--state-dir %s: too long", dir);
		return DAEMON_EXIT_USAGE;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_error("--state-dir: %s: %m", path);
		return DAEMON_EXIT_USAGE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_error("--state-dir %s is in use by another %s (%s is "
			  "locked): give each instance its own",
			  dir, ops->role, path);
		close(fd);
		return DAEMON_EXIT_USAGE;
	}
	gw_handover_lock_fd = fd; /* held until exit */
	gw_handover_dir = dir;
	return 0;
}

/* The header fields and the records; -1 at the first malformed field. */
static int gw_handover_read(struct handover_reader *r, size_t *restored,
			    size_t *refused)
{
	struct handover_field f;
	int rc;
	while ((rc = handover_next(r, &f)) == 1) {
		uint64_t channel;
		char tag[64];
		if (handover_field_is(&f, "instance")) {
			if (handover_field_str(&f, tag, sizeof tag) < 0 ||
			    gw_handover_ops->take_instance(tag) < 0)
				return -1;
		} else if (handover_field_is(&f, "token")) {
			if (handover_field_str(&f, gw_handover_token,
					       sizeof gw_handover_token) < 0)
				return -1;
		} else if (handover_field_is(&f, "session")) {
			if (handover_field_u64(&f, &channel) < 0 ||
			    channel == 0 || channel > UINT32_MAX)
				return -1;
			int one = gw_handover_ops->restore(r, (uint32_t)channel);
			if (one < 0)
				return -1;
			++*(one ? restored : refused);
		} else {
			return -1;
		}
	}
	return rc;
}

void gw_handover_restore(void)
{
	const char *dir = gw_handover_dir, *role = gw_handover_ops->role;
	if (!dir)
		return;
	struct handover_reader r;
	char *data = handover_load(dir, role, &r);
	if (!data) {
		if (errno != ENOENT)
			log_warn("%s/%s.handover: %m: not used", dir, role);
		return;
	}
	size_t restored = 0, refused = 0;
	if (gw_handover_read(&r, &restored, &refused) < 0)
		log_warn("%s/%s.handover: malformed after %zu sessions: the "
			 "rest is not used",
			 dir, role, restored + refused);
	if (refused)
		log_warn("%s/%s.handover: %zu sessions refused", dir, role,
			 refused);
	log_info("took %zu sessions over as instance %s", restored,
		 gw_handover_ops->instance());
	free(data);
}

/* The sessions' streams are asked for (or given up): requests may come. */
static void gw_handover_front_now(void)
{
	void (*open_front)(void) = gw_handover_front;
	gw_handover_front = NULL;
	if (gw_handover_loop)
		ev_timer_stop(gw_handover_loop, &gw_handover_wait);
	if (open_front)
		open_front();
}

void gw_handover_router_up(unsigned minor)
{
	if (gw_handover_adopted)
		return;
	gw_handover_adopted = 1;
	if (gw_handover_ops->count() == 0) {
		gw_handover_front_now();
		return;
	}
	if (minor < 4 || !gw_handover_token[0]) {
		log_warn("%s: the sessions taken over cannot be adopted: "
			 "they end",
			 minor < 4 ? "the router speaks protocol 1.3 or older"
				   : "the hand-over file had no token");
		gw_handover_ops->adopt_all(NULL);
	} else {
		gw_handover_ops->adopt_all(gw_handover_token);
	}
	gw_handover_front_now();
}

static void gw_handover_on_wait(struct ev_loop *loop, ev_timer *w,
				int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (gw_handover_adopted)
		return;
	gw_handover_adopted = 1;
	log_warn("no router within %.0f s: the %zu sessions taken over end",
		 GW_HANDOVER_ROUTER_WAIT, gw_handover_ops->count());
	gw_handover_ops->adopt_all(NULL);
	gw_handover_front_now();
}

void gw_handover_open_front(struct ev_loop *loop, void (*open_front)(void))
{
	if (gw_handover_adopted || gw_handover_ops->count() == 0) {
		open_front();
		return;
	}
	gw_handover_loop = loop;
	gw_handover_front = open_front;
	ev_timer_init(&gw_handover_wait, gw_handover_on_wait,
		      GW_HANDOVER_ROUTER_WAIT, 0);
	ev_timer_start(loop, &gw_handover_wait);
}

static void gw_handover_release(void)
{
	gw_handover_ops->release_all();
}

/* Writes the file; frees the sessions only once it is on disk. */
static int gw_handover_save(const char *token)
{
	const char *dir = gw_handover_dir, *role = gw_handover_ops->role;
	struct buf b;
	buf_init(&b, HANDOVER_FILE_MAX);
	size_t n = 0;
	int rc = -1;
	if (handover_put_str(&b, "instance", gw_handover_ops->instance()) ==
		    0 &&
	    handover_put_str(&b, "token", token) == 0) {
		n = gw_handover_ops->save_all(&b);
		rc = handover_save(dir, role, &b);
	}
	buf_free(&b);
	if (rc < 0) {
		log_error("%s/%s.handover: %m: ending the %zu sessions instead",
			  dir, role, n);
		gw_handover_ops->end_all(); /* the router routes their queues */
		return -1;
	}
	gw_handover_ops->forget_all();
	log_info("handed %zu sessions over in %s/%s.handover", n, dir, role);
	return 0;
}

static void gw_handover_end_all(void)
{
	gw_handover_ops->end_all();
}

static const struct gw_stop_ops gw_handover_stop_ops = {
	.release = gw_handover_release,
	.save = gw_handover_save,
	.end_all = gw_handover_end_all,
};

void gw_handover_stop(struct ev_loop *loop)
{
	gw_stop_begin(loop, &gw_handover_stop_ops, gw_handover_dir != NULL);
}
