# shellcheck shell=bash
# tests/bench/lib.sh: what the benchmark scripts share (sourced, not run).
#
# - bench_init NAME BUILD_DIR: the temporary directory $T, the raw results
#   file $RESULTS (BUILD_DIR/bench-NAME-results.txt), the summary tables file
#   $TABLES (BUILD_DIR/bench-NAME-tables.txt), clean-up on exit.
# - The targets, each started fresh with its own temporary configuration and
#   data directory on free loopback ports, and the same users (user1..userN,
#   password $PASSWORD, created in bulk and cached in BUILD_DIR/bench-cache):
#     parley    xmpp-routerd + boshd + http-filed (the project)
#     prosody   Debian's Prosody: c2s, BOSH (/http-bind), http_files (/files)
#     ejabberd  Debian's ejabberd: c2s, BOSH (/bosh), mod_http_fileserver
#               (/files), accounts in SQLite with plain passwords (made in
#               bulk there), everything else in its default Mnesia
#   target_start NAME [USERS] sets C2S_PORT, HTTP_PORT, BOSH_URL, FILES_URL
#   (where $DOCROOT's files are served, ending in /) and the process lists
#   MEASURE_TCP, MEASURE_BOSH, MEASURE_HTTP: the processes that do the work
#   for that transport, whose RSS and CPU a scenario counts. target_stop
#   stops it. Prosody and ejabberd are installed from Debian when missing
#   and run as their own system users, as their packages expect.
# - Measurements: rss_kib and cpu_ticks over processes and their children,
#   json_field to read parley-load's --json output.
#
# Peer settings that differ from the packages' defaults, each so that the
# peer is not held back by something that is not its engine: plaintext
# authentication on loopback, no TLS, no traffic shapers or rate limits,
# listen backlog 1024 (ejabberd's default is 5), no s2s.

PASSWORD=${BENCH_PASSWORD:-bench-secret}
TARGET=
TARGET_PIDS=()

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
say() { echo "$*" | tee -a "$RESULTS"; }

bench_init() {
	BENCH_NAME=$1
	BUILD=$2
	case "$BUILD" in /*) ;; *) BUILD=$(cd "$BUILD" && pwd) ;; esac
	XMPPD=$BUILD/xmpp-routerd/xmpp-routerd
	BOSHD=$BUILD/boshd/boshd
	HTTPD=$BUILD/http-filed/http-filed
	CTL=$BUILD/bin/parleyctl
	LOAD=$BUILD/bin/parley-load
	local b
	for b in "$XMPPD" "$BOSHD" "$HTTPD" "$CTL" "$LOAD"; do
		[ -x "$b" ] || die "$b is missing (make)"
	done
	T=$(mktemp -d "/tmp/bench-$BENCH_NAME.XXXXXX") || die "mktemp failed"
	chmod 755 "$T" # the peers run as their own users
	RESULTS=$BUILD/bench-$BENCH_NAME-results.txt
	TABLES=$BUILD/bench-$BENCH_NAME-tables.txt
	CACHE=$BUILD/bench-cache
	mkdir -p "$CACHE"
	: >"$RESULTS"
	: >"$TABLES"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
	DOCROOT=$T/www
	mkdir -p "$DOCROOT"
	chmod 755 "$DOCROOT"
}

bench_cleanup() {
	local p
	for p in ${LOAD_PIDS[@]+"${LOAD_PIDS[@]}"}; do kill -TERM "$p" 2>/dev/null; done
	target_stop
	wait 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "$BENCH_NAME: kept $T" >&2; else rm -rf "$T"; fi
}

# ensure_packages PACKAGE...: Debian's packages, installed when missing (as
# `make deps-bench` does); a system service a package starts is stopped, the
# benchmark runs its own instance on other ports.
ensure_packages() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	"$here/install-debs" "$@" || die "cannot install $*"
	local p
	for p in "$@"; do
		case $p in prosody | ejabberd | nginx*) service "${p%-light}" stop >/dev/null 2>&1 ;; esac
	done
	return 0
}

# ---- ports and processes ---------------------------------------------------
# pick_port: a loopback port in 20000..31999 nothing uses now.
pick_port() {
	local p hex
	while :; do
		p=$((20000 + RANDOM % 12000))
		hex=$(printf ':%04X ' "$p")
		grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || break
	done
	echo "$p"
}
# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
	local hex i n=$((${2:-30} * 20))
	hex=$(printf '0100007F:%04X' "$1")
	for ((i = 0; i < n; i++)); do
		grep -q "$hex 00000000:0000 0A" /proc/net/tcp && return 0
		sleep 0.05 # polling /proc for the listener
	done
	return 1
}
# tree_pids PID...: these processes and all their descendants.
tree_pids() {
	local todo=("$@") p kids
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		[ -d "/proc/$p" ] || continue
		echo "$p"
		read -ra kids < <(cat /proc/"$p"/task/*/children 2>/dev/null)
		todo+=(${kids[@]+"${kids[@]}"})
	done
}
# rss_kib PID...: VmRSS of these processes and their descendants, in KiB.
rss_kib() {
	local p v total=0
	for p in $(tree_pids "$@"); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
# cpu_ticks PID...: user + system clock ticks of these and their descendants.
cpu_ticks() {
	local p v total=0
	for p in $(tree_pids "$@"); do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
# json_field FILE FIELD: a field of parley-load's --json output (a.b for
# nested ones), "-" when absent.
json_field() {
	perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || {};
		my $v = $j; $v = ref $v ? $v->{$_} : undef for split /\./, $ARGV[0];
		print defined $v ? $v : "-"' "$2" <"$1"
}
# start_ready NAME COMMAND...: runs a Parley daemon with readiness on fd 3
# (10 s at most); its log is $T/NAME.log; its pid goes to TARGET_PIDS.
start_ready() {
	local name=$1 fifo=$T/ready.$1
	shift
	rm -f "$fifo"
	mkfifo "$fifo"
	"$@" -d 3 </dev/null >>"$T/$name.log" 2>&1 3>"$fifo" &
	TARGET_PIDS+=($!)
	if [ "$(timeout 10 head -c 1 "$fifo" | wc -c)" != 1 ]; then
		tail -n 20 "$T/$name.log" >&2
		die "$name did not become ready"
	fi
	rm -f "$fifo"
}

# until_login SECONDS: polls until user1 can log in over TCP on C2S_PORT.
until_login() {
	local end=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$end" ]; do
		"$LOAD" -H 127.0.0.1 -p "$C2S_PORT" -D localhost --sasl plain \
			-P "$PASSWORD" -n 1 -d 1 -T 5 --json >"$T/until_login.json" 2>/dev/null
		[ "$(json_field "$T/until_login.json" connected)" = 1 ] && return 0
		sleep 0.2 # polling the server until it lets a user in
	done
	return 1
}

# ---- users -----------------------------------------------------------------
# Each target's store for user1..userN is made once per N and cached.
users_parley() {
	local n=$1 db=$CACHE/parley-users-$1.db t0
	if [ ! -s "$db" ]; then
		t0=$(date +%s%N)
		seq 1 "$n" | sed "s/.*/user& $PASSWORD/" |
			"$CTL" --db "$db.tmp" user import 2>>"$T/parleyctl.log" ||
			die "parleyctl user import failed"
		mv "$db.tmp" "$db"
		rm -f "$db.tmp-wal" "$db.tmp-shm"
		echo "$BENCH_NAME: $n Parley users made in $((($(date +%s%N) - t0) / 1000000)) ms (parleyctl user import)" >&2
	fi
	cp "$db" "$T/parley.db"
}
# Prosody's internal_plain store: DATA/localhost/accounts/userN.dat, as
# prosodyctl adduser writes them.
users_prosody() {
	local n=$1 dir=$CACHE/prosody-users-$1 i
	if [ ! -d "$dir" ]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp/localhost/accounts"
		for ((i = 1; i <= n; i++)); do
			printf 'return {\n\t["password"] = "%s";\n};\n' "$PASSWORD" \
				>"$dir.tmp/localhost/accounts/user$i.dat"
		done
		mv "$dir.tmp" "$dir"
	fi
	rm -rf "$T/prosody-data"
	cp -r "$dir" "$T/prosody-data"
	chown -R prosody: "$T/prosody-data" || die "no prosody user (Debian's package makes it)"
}
# ejabberd's SQL store (SQLite, its own schema from the package), accounts
# with plain passwords (auth_password_format: plain).
users_ejabberd() {
	local n=$1 db=$CACHE/ejabberd-users-$1.db schema=/usr/share/ejabberd/sql/lite.sql
	if [ ! -s "$db" ]; then
		[ -r "$schema" ] || die "$schema is missing (Debian's ejabberd ships it)"
		rm -f "$db.tmp"
		{
			cat "$schema"
			echo "BEGIN;"
			seq 1 "$n" | sed "s/.*/INSERT INTO users (username, password) VALUES ('user&', '$PASSWORD');/"
			echo "COMMIT;"
		} | sqlite3 "$db.tmp" || die "sqlite3 could not make ejabberd's store"
		mv "$db.tmp" "$db"
	fi
	mkdir -p "$T/ejabberd"
	cp "$db" "$T/ejabberd/users.db"
	chown -R ejabberd: "$T/ejabberd" || die "no ejabberd user (Debian's package makes it)"
}
# ensure_package PACKAGE COMMAND: PACKAGE, when COMMAND is missing.
ensure_package() {
	command -v "$2" >/dev/null || ensure_packages "$1"
}
# ensure_peers: Prosody, ejabberd and SQLite for ejabberd's store.
ensure_peers() {
	[ -n "${PEERS_READY:-}" ] && return 0
	ensure_packages prosody ejabberd erlang-p1-sqlite3 sqlite3
	PEERS_READY=1
}

# ---- targets -----------------------------------------------------------------
# target_start NAME USERS: a fresh NAME with USERS users.
target_start() {
	TARGET=$1
	TARGET_PIDS=()
	C2S_PORT=$(pick_port)
	HTTP_PORT=$(pick_port)
	while [ "$HTTP_PORT" = "$C2S_PORT" ]; do HTTP_PORT=$(pick_port); done
	"start_$1" "$2"
}
target_stop() {
	local p i alive
	[ ${#TARGET_PIDS[@]} -gt 0 ] || return 0
	for p in "${TARGET_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 150; i++)); do
		alive=0
		for p in "${TARGET_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1 # waiting for the servers to exit
	done
	for p in "${TARGET_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TARGET_PIDS=()
	TARGET=
}

# Parley: http-filed with BENCH_HTTP_WORKERS workers (2), BOSH wait and
# inactivity long enough for idle runs.
start_parley() {
	users_parley "$1"
	start_ready xmpp-routerd "$XMPPD" -a 127.0.0.1 -p "$C2S_PORT" \
		--db "$T/parley.db" --gateway-socket "$T/router.sock" -l warn
	local router=${TARGET_PIDS[-1]}
	start_ready boshd "$BOSHD" --socket "$T/boshd.sock" --router "$T/router.sock" \
		--max-wait 60 -l warn
	local boshd=${TARGET_PIDS[-1]}
	start_ready http-filed "$HTTPD" -a 127.0.0.1 -p "$HTTP_PORT" -r "$DOCROOT" \
		-w "${BENCH_HTTP_WORKERS:-2}" --max-connections 20000 --idle-timeout 120 \
		--access-log off --route "/http-bind=$T/boshd.sock" -l warn
	local httpd=${TARGET_PIDS[-1]}
	BOSH_URL=http://127.0.0.1:$HTTP_PORT/http-bind/
	FILES_URL=http://127.0.0.1:$HTTP_PORT/
	MEASURE_TCP=("$router")
	MEASURE_BOSH=("$httpd" "$boshd" "$router")
	MEASURE_HTTP=("$httpd")
}

start_prosody() {
	users_prosody "$1"
	local data=$T/prosody-data
	cat >"$T/prosody.cfg.lua" <<-EOF
		daemonize = false
		pidfile = "$data/prosody.pid"
		data_path = "$data"
		plugin_paths = {}
		admins = {}
		modules_enabled = { "roster", "saslauth", "disco", "ping", "presence",
			"message", "iq", "bosh", "http_files" }
		modules_disabled = { "s2s", "websocket", "c2s_limits", "limits" }
		c2s_ports = { $C2S_PORT }
		c2s_interfaces = { "127.0.0.1" }
		s2s_ports = {}
		http_ports = { $HTTP_PORT }
		http_interfaces = { "127.0.0.1" }
		https_ports = {}
		http_files_dir = "$DOCROOT"
		http_paths = { files = "/files", bosh = "/http-bind" }
		bosh_max_wait = 60
		bosh_max_inactivity = 120
		consider_bosh_secure = true
		cross_domain_bosh = true
		c2s_require_encryption = false
		allow_unencrypted_plain_auth = true
		authentication = "internal_plain"
		storage = "internal"
		network_settings = { tcp_backlog = 1024 }
		log = { warn = "$data/prosody.log" }
		VirtualHost "localhost"
	EOF
	# as Debian's prosody user (as root its mod_posix complains and may not
	# start); setpriv execs, so the pid is Prosody's own
	setpriv --reuid=prosody --regid=prosody --init-groups \
		prosody --config "$T/prosody.cfg.lua" </dev/null >>"$T/prosody.out" 2>&1 &
	TARGET_PIDS+=($!)
	if ! wait_port "$C2S_PORT" || ! wait_port "$HTTP_PORT"; then
		tail -n 20 "$T/prosody.out" "$data/prosody.log" >&2
		die "prosody did not start"
	fi
	BOSH_URL=http://127.0.0.1:$HTTP_PORT/http-bind
	FILES_URL=http://127.0.0.1:$HTTP_PORT/files/
	MEASURE_TCP=("${TARGET_PIDS[-1]}")
	MEASURE_BOSH=("${TARGET_PIDS[-1]}")
	MEASURE_HTTP=("${TARGET_PIDS[-1]}")
}

# ejabberd as ejabberdctl foreground would run it, without a distributed
# node name (no epmd, no cookie): erl as the ejabberd user.
start_ejabberd() {
	users_ejabberd "$1"
	local dir=$T/ejabberd
	mkdir -p "$dir/spool" "$dir/logs"
	cat >"$dir/ejabberd.yml" <<-EOF
		hosts: ["localhost"]
		loglevel: warning
		log_rotate_count: 0
		certfiles: []
		listen:
		  - port: $C2S_PORT
		    ip: "127.0.0.1"
		    module: ejabberd_c2s
		    backlog: 1024
		    shaper: none
		    max_stanza_size: 262144
		    starttls_required: false
		  - port: $HTTP_PORT
		    ip: "127.0.0.1"
		    module: ejabberd_http
		    backlog: 1024
		    request_handlers:
		      /bosh: mod_bosh
		      /files: mod_http_fileserver
		auth_method: sql
		auth_password_format: plain
		sql_type: sqlite
		sql_database: "$dir/users.db"
		default_db: mnesia
		access_rules:
		  local:
		    allow: all
		modules:
		  mod_roster: {}
		  mod_disco: {}
		  mod_ping: {}
		  mod_bosh:
		    max_inactivity: 120
		  mod_http_fileserver:
		    docroot: "$DOCROOT"
	EOF
	chown -R ejabberd: "$dir"
	(
		cd "$dir" || exit 1
		export HOME=$dir EJABBERD_CONFIG_PATH=$dir/ejabberd.yml \
			EJABBERD_LOG_PATH=$dir/logs/ejabberd.log \
			ERL_LIBS=/usr/lib/x86_64-linux-gnu ERL_MAX_PORTS=65536 \
			ERL_CRASH_DUMP=$dir/logs/erl_crash.dump
		exec setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
			/usr/bin/erl -noinput +K true +P 1000000 \
			-mnesia dir "\"$dir/spool\"" -s ejabberd
	) </dev/null >>"$dir/out.txt" 2>&1 &
	TARGET_PIDS+=($!)
	# its ports open before its SQL pool runs (a login then crashes its
	# c2s process): ready is when user1 can log in
	if ! wait_port "$C2S_PORT" 60 || ! wait_port "$HTTP_PORT" 10 ||
		! until_login 30; then
		tail -n 20 "$dir/out.txt" "$dir/logs/ejabberd.log" >&2
		die "ejabberd did not start"
	fi
	BOSH_URL=http://127.0.0.1:$HTTP_PORT/bosh
	FILES_URL=http://127.0.0.1:$HTTP_PORT/files/
	MEASURE_TCP=("${TARGET_PIDS[-1]}")
	MEASURE_BOSH=("${TARGET_PIDS[-1]}")
	MEASURE_HTTP=("${TARGET_PIDS[-1]}")
}
# the Host header the peers need to pick their virtual host for files
# (http-filed and nginx ignore it)
FILES_HOST=localhost
