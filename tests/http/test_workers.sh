#!/bin/bash
# test_workers.sh: http-filed with several worker processes: the master
# forks -w N workers (one per core with -w 0), all of them serve, a worker
# that dies is replaced and service goes on, and SIGTERM to the master
# stops every worker and exits 0.
. "$(dirname "$0")/../lib.sh"
need_binaries
make_docroot

# wait_workers N SECONDS: polls until the master has N children; 0 if so.
wait_workers() {
	local deadline=$((SECONDS + $2))
	while :; do
		WORKERS=$(proc_children "$HTTPD_PID" | sort -n | tr '\n' ' ')
		[ "$(echo $WORKERS | wc -w)" -eq "$1" ] && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}
# many_requests N: N requests, each on a new connection; echoes how many
# gave 200.
many_requests() {
	local i good=0
	for ((i = 0; i < $1; i++)); do
		http /sub/file.txt
		[ "$STATUS" = 200 ] && good=$((good + 1))
	done
	echo "$good"
}

start_httpd -w 3 || finish
if wait_workers 3 5; then ok "-w 3: three workers"; else
	fail "-w 3: three workers" "children: [$WORKERS]"; fi
first_workers=$WORKERS
assert_eq "-w 3: 30 requests on new connections" 30 "$(many_requests 30)"
# every worker accepts: each has a listening socket of its own
for w in $WORKERS; do
	if ls -l "/proc/$w/fd" 2>/dev/null | grep -q 'socket:'; then
		ok "worker $w holds a socket"
	else fail "worker $w holds a socket" "none"; fi
done
fd_baseline

# a worker dies: the master replaces it, service goes on
victim=$(echo $WORKERS | cut -d' ' -f1)
kill -KILL "$victim"
deadline=$((SECONDS + 10))
replaced=no
while [ $SECONDS -lt $deadline ]; do
	wait_workers 3 1 && ! echo " $WORKERS " | grep -q " $victim " &&
		{ replaced=yes; break; }
done
assert_eq "a killed worker is replaced" yes "$replaced"
assert_alive "the master survives a worker's death" "$HTTPD_PID"
assert_eq "after the replacement: 30 requests served" 30 "$(many_requests 30)"
fd_check "no descriptor leaked across workers"

# signals: SIGTERM to the master stops everything with exit 0
stop_httpd
left=""
for w in $first_workers $WORKERS; do
	proc_has_exited "$w" || left="$left $w"
done
assert_eq "no worker left after SIGTERM" "" "$left"

# -w 0: one worker per core
start_httpd -w 0 || finish
cores=$(nproc)
if [ "$cores" -gt 1 ]; then
	if wait_workers "$cores" 5; then ok "-w 0: $cores workers for $cores cores"
	else fail "-w 0: one worker per core" "$cores cores, children [$WORKERS]"; fi
else
	skip "-w 0: one worker per core" "only one core here"
fi
assert_eq "-w 0: serving" 10 "$(many_requests 10)"
stop_httpd

# -w 1 (the tests' default): serving, clean exit
start_httpd -w 1 || finish
assert_eq "-w 1: serving" 10 "$(many_requests 10)"
assert_alive "http-filed still running" "$HTTPD_PID"
finish
