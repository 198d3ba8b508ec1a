# Parley: one plain Makefile for every daemon, tool and test.
#
#   make            build everything into $(B)/
#   make run        build, lay a scandir under $(RUN_DIR) and run the stack
#   make check      every test (unit, fuzz-corpus replay, integration, asan)
#   make asan       the whole test suite under AddressSanitizer + UBSan
#   make fuzz       libFuzzer targets (clang), each run for FUZZ_SECONDS
#   make bench      every benchmark, beside nginx, Prosody and ejabberd
#   make install DESTDIR=... PREFIX=...   (or install-http-filed alone)
#   make install-svc DESTDIR=...   the s6 service tree with the fd holder
#
# Build output goes to build/ (build-asan/ for the sanitizer build), so the
# source tree stays clean.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
B         ?= build

CC        ?= cc
CFLAGS    ?= -O2 -g
WARNFLAGS := -std=c17 -Wall -Wextra -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wformat=2 -Werror
CPPFLAGS  += -D_GNU_SOURCE -DPARLEY_VERSION='"$(VERSION)"' -Icommon \
             -DPARLEY_WWW_DIR='"$(PREFIX)/share/parley/www"'
ALL_CFLAGS = $(WARNFLAGS) $(CFLAGS) $(CPPFLAGS)
LDLIBS_EV := -lev -lm
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -pthread)

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
LIBCOMMON  := $(B)/libcommon.a

HTTPD_SRC  := $(filter-out http-filed/main.c,$(wildcard http-filed/*.c))
HTTPD_OBJ  := $(HTTPD_SRC:%.c=$(B)/%.o)
HTTPD_BIN  := $(B)/http-filed/http-filed

XMPPD_SRC  := $(filter-out xmpp-routerd/main.c,$(wildcard xmpp-routerd/*.c))
XMPPD_OBJ  := $(XMPPD_SRC:%.c=$(B)/%.o)
LDLIBS_XMPP := -lexpat -lsqlite3 -lidn -lssl -lcrypto
XMPPD_BIN  := $(B)/xmpp-routerd/xmpp-routerd

BOSHD_SRC  := $(filter-out boshd/main.c,$(wildcard boshd/*.c))
BOSHD_OBJ  := $(BOSHD_SRC:%.c=$(B)/%.o)
BOSHD_BIN  := $(B)/boshd/boshd

# pollgw (XEP-0025), built once its main.c is there.
POLLGW_SRC := $(filter-out pollgw/main.c,$(wildcard pollgw/*.c))
POLLGW_OBJ := $(POLLGW_SRC:%.c=$(B)/%.o)
POLLGW_BIN := $(if $(wildcard pollgw/main.c),$(B)/pollgw/pollgw)

# The document root with the web client (Converse.js from the npm registry,
# pinned in http-filed/webclient/package-lock.json): build output.
WEBCLIENT  := http-filed/webclient
WWW_OUT    := $(B)/www
CTL_BIN    := $(B)/bin/parleyctl
XMPP_SEND_BIN := $(B)/bin/xmpp-send
# parley-socket: binds a listening socket for the s6 run scripts (svc/).
SOCKET_BIN := $(B)/bin/parley-socket
# parley-load, the load generator (bin/load/): its SCRAM client shares
# xmpp-routerd's base64.
LOAD_SRC   := $(wildcard bin/load/*.c)
LOAD_OBJ   := $(LOAD_SRC:%.c=$(B)/%.o)
LOAD_BIN   := $(B)/bin/parley-load
# parleyctl works on xmpp-routerd's store: it links those files alone.
CTL_OBJ    := $(addprefix $(B)/xmpp-routerd/,store.o store_sqlite.o scram.o \
              base64.o jid.o)

TEST_TOOLS := $(B)/tests/test-backend $(B)/tests/rawhttp $(B)/tests/idleconns \
              $(B)/tests/xmpp-client $(B)/tests/test-gateway \
              $(B)/tests/bench/idlexmpp
UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_BIN   := $(B)/tests/unit-tests
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(B)/tests/fuzz-replay

BINS := $(HTTPD_BIN) $(XMPPD_BIN) $(BOSHD_BIN) $(POLLGW_BIN) $(CTL_BIN) \
        $(XMPP_SEND_BIN) $(SOCKET_BIN) \
        $(LOAD_BIN)

.PHONY: www all deps deps-fuzz deps-bench check check-unit check-fuzz-corpus \
        check-integration asan fuzz bench bench-http bench-c2s bench-bosh bench-poll run install \
        install-http-filed install-xmpp-routerd install-boshd install-pollgw install-tools \
        install-fdholder install-svc clean
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BINS) $(TEST_TOOLS) $(UNIT_BIN) $(REPLAY_BIN)

# ---- dependencies: Debian packages, installed only when missing --------
DEB_BUILD := gcc make pkg-config libev-dev check libsubunit-dev \
             libexpat1-dev libsqlite3-dev libidn11-dev libssl-dev \
             libstrophe-dev
DEB_RUN   := s6 execline curl openssl
DEB_FUZZ  := clang libclang-rt-14-dev
DEB_BENCH := nginx-light wrk apache2-utils prosody ejabberd erlang-p1-sqlite3 sqlite3
deps:
	@tests/install-debs $(DEB_BUILD) $(DEB_RUN)
deps-fuzz:
	@tests/install-debs $(DEB_FUZZ)
deps-bench:
	@tests/install-debs $(DEB_BENCH)

# ---- objects ------------------------------------------------------------
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -Ihttp-filed -Ixmpp-routerd -Iboshd -Ipollgw -Itests/fuzz \
	  -Itests/unit -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(HTTPD_BIN): $(B)/http-filed/main.o $(HTTPD_OBJ) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) -lexpat

$(XMPPD_BIN): $(B)/xmpp-routerd/main.o $(XMPPD_OBJ) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) $(LDLIBS_XMPP)

$(BOSHD_BIN): $(B)/boshd/main.o $(BOSHD_OBJ) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) -lexpat -lcrypto

$(B)/pollgw/pollgw: $(B)/pollgw/main.o $(POLLGW_OBJ) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) -lexpat -lcrypto

$(CTL_BIN): $(B)/bin/parleyctl.o $(CTL_OBJ) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_XMPP)

$(LOAD_BIN): $(LOAD_OBJ) $(B)/xmpp-routerd/base64.o $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) -lexpat -lcrypto

$(XMPP_SEND_BIN): $(B)/bin/xmpp-send.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lstrophe

$(SOCKET_BIN): $(B)/bin/parley-socket.o $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/tests/xmpp-client: $(B)/tests/xmpp-client.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lstrophe

$(B)/tests/bench/idlexmpp: $(B)/tests/bench/idlexmpp.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/tests/%: $(B)/tests/%.o $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) -lexpat

$(UNIT_BIN): $(UNIT_SRC:%.c=$(B)/%.o) $(HTTPD_OBJ) $(XMPPD_OBJ) $(BOSHD_OBJ) \
             $(POLLGW_OBJ) \
             $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) $(LDLIBS_XMPP) $(CHECK_LIBS)

$(REPLAY_BIN): $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/targets.o \
               $(FUZZ_NAMES:%=$(B)/tests/fuzz/fuzz_%.o) \
               $(HTTPD_OBJ) $(BOSHD_OBJ) $(POLLGW_OBJ) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_EV) -lexpat -lcrypto

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- tests --------------------------------------------------------------
# check: everything CI runs. The sanitizer pass rebuilds into build-asan/.
check: deps all
	tests/run $(B)
	$(MAKE) asan

asan:
	@tests/install-debs $(DEB_BUILD) $(DEB_RUN)
	$(MAKE) B=build-asan CC=gcc \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run build-asan

# ---- fuzzing (clang + libFuzzer), not part of check ------------------------
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
fuzz: deps-fuzz
	@mkdir -p build-fuzz
	@set -e; for t in $(FUZZ_NAMES); do \
	  echo "fuzz: building $$t"; \
	  clang $(WARNFLAGS) $(FUZZ_CFLAGS) $(CPPFLAGS) -DFUZZING -Ihttp-filed \
	    -Iboshd -Ipollgw -Itests/fuzz -o build-fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c \
	    $(HTTPD_SRC) $(BOSHD_SRC) $(POLLGW_SRC) $(COMMON_SRC) $(LDLIBS_EV) -lexpat -lcrypto; \
	  mkdir -p build-fuzz/corpus-$$t; \
	  echo "fuzz: running $$t for $(FUZZ_SECONDS)s"; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -artifact_prefix=build-fuzz/$$t- \
	    build-fuzz/corpus-$$t tests/fuzz/corpus/$$t; \
	done

# ---- benchmarks ------------------------------------------------------------
# Each suite prints its tables and keeps them in $(B)/bench-NAME-tables.txt
# (raw figures in bench-NAME-results.txt); `make bench` runs them all and
# prints every table again at the end. The peers (nginx, Prosody, ejabberd)
# are installed from Debian by the scripts when missing.
bench: bench-http bench-c2s bench-bosh bench-poll
	@echo; echo "==== make bench: every table ===="
	@cat $(B)/bench-http-tables.txt $(B)/bench-c2s-tables.txt \
	  $(B)/bench-bosh-tables.txt $(B)/bench-poll-tables.txt
bench-http: deps deps-bench all
	tests/bench/bench-http $(B)
bench-c2s: deps deps-bench all
	tests/bench/bench-xmpp tcp $(B)
bench-bosh: deps deps-bench all
	tests/bench/bench-xmpp bosh $(B)
bench-poll: deps all
	tests/bench/bench-poll $(B)

# ---- the web client -----------------------------------------------------------
www: $(WWW_OUT)/index.html
$(WWW_OUT)/index.html: $(WEBCLIENT)/build-www $(WEBCLIENT)/package-lock.json \
    $(WEBCLIENT)/index.html $(WEBCLIENT)/converse-init.js \
    $(wildcard $(WEBCLIENT)/.well-known/*.in) $(wildcard $(WEBCLIENT)/poll/*) \
    $(wildcard http-filed/www/*)
	$(WEBCLIENT)/build-www $(WWW_OUT)

# ---- run the stack under s6 --------------------------------------------------
run: deps $(BINS) www
	svc/make-run $(B)

# ---- install -----------------------------------------------------------------
# Each install-<part> installs exactly what that part needs (test:
# tests/svc/test_install.sh): a daemon's binary, man page and service
# directory with its default configuration (env/, paths under ETCDIR,
# STATEDIR and RUNTIMEDIR); install-fdholder the fd holder's service and
# parley-socket; install-tools the command-line tools; install-svc the
# whole s6 tree, every daemon wired to the fd holder.
BINDIR  = $(DESTDIR)$(PREFIX)/bin
SBINDIR = $(DESTDIR)$(PREFIX)/sbin
MAN1DIR = $(DESTDIR)$(PREFIX)/share/man/man1
MAN8DIR = $(DESTDIR)$(PREFIX)/share/man/man8
SVCDIR  = $(DESTDIR)$(PREFIX)/share/parley/svc
WWWDIR  = $(DESTDIR)$(PREFIX)/share/parley/www
ETCDIR     ?= /etc/parley
STATEDIR   ?= /var/lib/parley
RUNTIMEDIR ?= /run/parley
SVC_PATH = $(PREFIX)/sbin:$(PREFIX)/bin:/usr/bin:/bin:/usr/sbin:/sbin

# $(call install-service,NAME): svc/NAME into $(SVCDIR)/NAME: run, finish,
# notification-fd, log/run, and env/ with the paths made ETCDIR, STATEDIR
# and RUNTIMEDIR, plus env/PATH where the installed programs are.
define install-service
	install -d $(SVCDIR)/$(1)/log $(SVCDIR)/$(1)/env
	install -m 755 svc/$(1)/run $(SVCDIR)/$(1)/run
	install -m 755 svc/$(1)/finish $(SVCDIR)/$(1)/finish
	install -m 644 svc/$(1)/notification-fd $(SVCDIR)/$(1)/notification-fd
	install -m 755 svc/$(1)/log/run $(SVCDIR)/$(1)/log/run
	for f in svc/$(1)/env/*; do \
	  sed -e 's|/etc/parley|$(ETCDIR)|g' -e 's|/var/lib/parley|$(STATEDIR)|g' \
	    -e 's|/run/parley|$(RUNTIMEDIR)|g' "$$f" > $(SVCDIR)/$(1)/env/$${f##*/} || exit 1; \
	done
	echo '$(SVC_PATH)' > $(SVCDIR)/$(1)/env/PATH
endef

install: install-http-filed install-xmpp-routerd install-boshd install-pollgw \
         install-fdholder install-tools

install-pollgw: $(B)/pollgw/pollgw
	install -d $(SBINDIR) $(MAN8DIR)
	install -m 755 $(B)/pollgw/pollgw $(SBINDIR)/pollgw
	install -m 644 pollgw/pollgw.8 $(MAN8DIR)/pollgw.8
	$(call install-service,pollgw)

install-boshd: $(BOSHD_BIN)
	install -d $(SBINDIR) $(MAN8DIR)
	install -m 755 $(BOSHD_BIN) $(SBINDIR)/boshd
	install -m 644 boshd/boshd.8 $(MAN8DIR)/boshd.8
	$(call install-service,boshd)

install-xmpp-routerd: $(XMPPD_BIN)
	install -d $(SBINDIR) $(MAN8DIR) $(DESTDIR)$(PREFIX)/share/parley
	install -m 755 $(XMPPD_BIN) $(SBINDIR)/xmpp-routerd
	install -m 755 xmpp-routerd/make-cert $(DESTDIR)$(PREFIX)/share/parley/make-cert
	install -m 644 xmpp-routerd/xmpp-routerd.8 $(MAN8DIR)/xmpp-routerd.8
	$(call install-service,xmpp-routerd)

install-tools: $(CTL_BIN) $(XMPP_SEND_BIN) $(LOAD_BIN)
	install -d $(BINDIR) $(SBINDIR) $(MAN8DIR) $(MAN1DIR)
	install -m 755 $(CTL_BIN) $(SBINDIR)/parleyctl
	install -m 755 $(XMPP_SEND_BIN) $(BINDIR)/xmpp-send
	install -m 755 $(LOAD_BIN) $(BINDIR)/parley-load
	install -m 644 bin/load/parley-load.1 $(MAN1DIR)/parley-load.1
	install -m 644 bin/parleyctl.8 $(MAN8DIR)/parleyctl.8
	install -m 644 bin/xmpp-send.1 $(MAN1DIR)/xmpp-send.1

install-http-filed: $(HTTPD_BIN)
	install -d $(SBINDIR) $(MAN8DIR) $(WWWDIR)
	install -m 755 $(HTTPD_BIN) $(SBINDIR)/http-filed
	install -m 644 http-filed/http-filed.8 $(MAN8DIR)/http-filed.8
	$(call install-service,http-filed)
	echo $(PREFIX)/share/parley/www > $(SVCDIR)/http-filed/env/HTTP_FILED_ROOT
	cp -R http-filed/www/. $(WWWDIR)/

# The fd holder (svc/fdholder) and the binder its users call.
install-fdholder: $(SOCKET_BIN)
	install -d $(BINDIR) $(MAN1DIR) $(SVCDIR)/fdholder/rules/uid/0/env
	install -m 755 $(SOCKET_BIN) $(BINDIR)/parley-socket
	install -m 644 bin/parley-socket.1 $(MAN1DIR)/parley-socket.1
	$(call install-service,fdholder)
	install -m 644 svc/fdholder/rules/uid/0/allow $(SVCDIR)/fdholder/rules/uid/0/allow
	install -m 644 svc/fdholder/rules/uid/0/env/* $(SVCDIR)/fdholder/rules/uid/0/env/

# The whole tree for a system scandir: every daemon's service directory,
# each told where the fd holder is (env/PARLEY_FDHOLDER), and the holder.
install-svc: install-http-filed install-xmpp-routerd install-boshd \
             install-pollgw install-fdholder
	for s in http-filed xmpp-routerd boshd pollgw; do \
	  cp $(SVCDIR)/fdholder/env/PARLEY_FDHOLDER $(SVCDIR)/$$s/env/ || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz
