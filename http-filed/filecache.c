/* filecache.c: small files kept in memory by each worker.
 *
 * A static file of at most HTTPD_SMALL_FILE bytes is read once and kept,
 * keyed by its path and the encodings the client accepts. Every use checks
 * the file on disk with one fstatat(2): inode, size, mtime and ctime must
 * be unchanged, so a changed file is never served stale. Once a second an
 * entry is dropped and rebuilt through openat2 anyway, so that a sibling
 * .br/.gz that appeared is noticed. The table is direct-mapped
 * (FILECACHE_SLOTS entries; a collision replaces the older entry), so
 * memory is bounded by FILECACHE_SLOTS * HTTPD_SMALL_FILE per worker.
 * Entries are only made from descriptors opened beneath the root, and the
 * stat check can only make a lookup miss, never serve other content. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"

#define FILECACHE_SLOTS 512
#define FILECACHE_RECHECK_SECONDS 1

struct filecache_entry {
	unsigned accepted;
	time_t loaded;
	struct static_file meta; /* fd -1, data NULL */
	char *data;
	char rel[]; /* the path, then the content */
};

static struct filecache_entry *filecache_slots[FILECACHE_SLOTS];

static size_t filecache_slot(const char *rel, unsigned accepted)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)rel; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ accepted) * 16777619u;
	return h % FILECACHE_SLOTS;
}

static int filecache_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int filecache_lookup(const char *rel, unsigned accepted, struct static_file *f)
{
	struct filecache_entry *e =
		filecache_slots[filecache_slot(rel, accepted)];
	if (!e || e->accepted != accepted || strcmp(e->rel, rel) != 0)
		return -1;
	if (time(NULL) - e->loaded >= FILECACHE_RECHECK_SECONDS)
		return -1;
	char served[HTTPD_PATH_MAX + 24];
	strcpy(served, rel);
	strcat(served, static_suffix_for(e->meta.encoding));
	struct stat st;
	if (fstatat(httpd_config.root_fd, served, &st, 0) < 0 ||
	    !filecache_same_file(&st, &e->meta.st))
		return -1;
	*f = e->meta;
	f->fd = -1;
	f->data = e->data;
	return 0;
}

void filecache_store(const char *rel, unsigned accepted, struct static_file *f)
{
	size_t size = (size_t)f->st.st_size;
	size_t rel_len = strlen(rel);
	if (f->st.st_size > (off_t)HTTPD_SMALL_FILE ||
	    rel_len >= HTTPD_PATH_MAX)
		return;
	struct filecache_entry *e = malloc(sizeof *e + rel_len + 1 + size);
	if (!e)
		return;
	memcpy(e->rel, rel, rel_len + 1);
	e->data = e->rel + rel_len + 1;
	if (pread(f->fd, e->data, size, 0) != (ssize_t)size) {
		free(e);
		return;
	}
	e->accepted = accepted;
	e->loaded = time(NULL);
	e->meta = *f;
	e->meta.fd = -1;
	e->meta.data = NULL;
	size_t slot = filecache_slot(rel, accepted);
	free(filecache_slots[slot]);
	filecache_slots[slot] = e;
	close(f->fd);
	f->fd = -1;
	f->data = e->data;
}
