# scandir.sh: what the tests of the whole stack under s6 share (sourced by
# tests/svc/test_*.sh after tests/lib.sh): a scandir laid in $T/run from
# the real service directories of svc/ as svc/make-run lays them, started
# with s6-svscan, and stopped at the end with nothing left running in it.
#   RUN, SCAN, STATE: the run directory, its scandir and its state/.
#   HOLDER: the fd holder's socket if the test uses svc/fdholder, else "".
#   SVCS: the services whose logs are collected and scanned at the end.
RUN=$T/run
SCAN=$RUN/service
STATE=$RUN/state
HOLDER=${HOLDER:-}
SVSCAN_PID=
mkdir -p "$SCAN" "$STATE"

# need_s6 [PROGRAM...]: skips the file unless s6 and these are installed.
need_s6() {
	local p
	for p in s6-svscan s6-svscanctl s6-supervise s6-svok s6-svwait s6-svc \
		s6-svstat s6-envdir s6-log "$@"; do
		command -v "$p" >/dev/null ||
			skip_file "$p is not installed (Debian package s6)"
	done
}

# setenv SERVICE NAME VALUE: one s6-envdir file.
setenv() { printf '%s\n' "$3" >"$SCAN/$1/env/$2"; }

# lay_service NAME [FROM]: svc/FROM (default NAME) as NAME, its env/
# emptied (the test sets what it needs), the programs of BUILD_DIR on its
# PATH, and the fd holder if HOLDER is set.
lay_service() {
	local from=${2:-$1}
	cp -R "$TOP/svc/$from" "$SCAN/$1"
	mkdir -p "$SCAN/$1/env"
	rm -f "$SCAN/$1/env/"*
	setenv "$1" PATH "$BUILD_DIR/$from:$BUILD_DIR/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
	[ -z "$HOLDER" ] || setenv "$1" PARLEY_FDHOLDER "$HOLDER"
}

# lay_holder: svc/fdholder, its rules also for this uid if not root.
lay_holder() {
	local uid
	lay_service fdholder
	uid=$(id -u)
	[ "$uid" = 0 ] || cp -R "$SCAN/fdholder/rules/uid/0" "$SCAN/fdholder/rules/uid/$uid"
}

# until_ok SECONDS CMD...: polls CMD every 50 ms until it succeeds.
until_ok() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@" 2>/dev/null; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's state
	done
}
svc_pid() { s6-svstat -o pid "$SCAN/$1" 2>/dev/null; }
svc_log() { cat "$SCAN/$1/log/main/current" 2>/dev/null; }
# svc_up_again SERVICE OLD-PID: a new process (s6 restarted it), ready.
svc_up_again() {
	local s=$1 old=$2
	pid_is_new() { local p; p=$(svc_pid "$s"); [ -n "$p" ] && [ "$p" != -1 ] && [ "$p" != "$old" ]; }
	until_ok 15 pid_is_new && s6-svwait -U -t 15000 "$SCAN/$s"
}
# procs_in_run: the processes whose working directory is in the run
# directory (the supervisors, the daemons and the loggers all run there).
procs_in_run() {
	local d p
	for d in /proc/[0-9]*; do
		p=$(readlink "$d/cwd" 2>/dev/null) || continue
		case $p in "$RUN"/*) echo "${d#/proc/}" ;; esac
	done
}
no_procs_in_run() { [ -z "$(procs_in_run)" ]; }

# scandir_start: s6-svscan on the scandir, in the background.
scandir_start() {
	s6-svscan "$SCAN" >"$T/svscan.log" 2>&1 &
	SVSCAN_PID=$!
}
# scandir_ready SECONDS SERVICE...: each one supervised, up and ready
# within SECONDS; a failure names the service. 1 if any is not.
scandir_ready() {
	local secs=$1 s ready=0
	shift
	for s; do
		if until_ok 10 s6-svok "$SCAN/$s" &&
			s6-svwait -U -t $((secs * 1000)) "$SCAN/$s"; then :; else
			fail "s6: $s up and ready" "$(s6-svstat "$SCAN/$s" 2>&1); $(svc_log "$s" | tail -n 5)"
			ready=1
		fi
	done
	return $ready
}
# scandir_stop: the whole tree down (s6-svscanctl -t), then nothing may be
# left running in the run directory; the logs of SVCS are collected, named
# for tests/run (which keeps *.log files) and scanned. Does nothing the
# second time.
scandir_stop() {
	[ -n "$SVSCAN_PID" ] || return 0
	local left p
	s6-svscanctl -t "$SCAN" 2>/dev/null
	if wait_exit "$SVSCAN_PID" 20; then
		ok "s6-svscanctl -t stops the whole tree"
	else
		fail "s6-svscanctl -t stops the whole tree" "s6-svscan still running"
		kill -KILL "$SVSCAN_PID" 2>/dev/null
	fi
	SVSCAN_PID=
	if until_ok 10 no_procs_in_run; then
		ok "no process left in the scandir"
	else
		left=$(procs_in_run)
		fail "no process left in the scandir" "$(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
		for p in $left; do kill -KILL "$p" 2>/dev/null; done
	fi
	for p in $SVCS; do
		cat "$SCAN/$p/log/main/"@* "$SCAN/$p/log/main/current" \
			>"$T/$p.log" 2>/dev/null
		DAEMON_LOGS+=("$T/$p.log")
	done
}
# teardown: what runs at the end, even on failure; a test with more to
# stop (clients, load tools, a browser) defines its own, ending with this.
teardown() { scandir_stop; }
# end: the test's teardown (which ends with scandir_stop), the logs
# scanned, the summary; exits 1 if anything failed (the EXIT trap then
# removes $T, or keeps it on failure).
end() {
	teardown
	scan_logs
	echo "$TEST_FILE: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}
trap 'teardown; cleanup' EXIT
