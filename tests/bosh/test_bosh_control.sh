#!/bin/bash
# test_bosh_control.sh: boshd's control socket (PROTOCOL.md 10.6) through
# parleyctl's bosh commands, with two boshd (A at /http-bind, B at
# /b-bind) behind one http-filed on one xmpp-routerd: an empty list; a
# bound session (its JID learnt from the router's bind result) and an
# unauthenticated one, with their sid, rid, held, queued, inactivity,
# peer; --json lines that parse; stats; terminate (the held request gets
# terminate undefined-condition, the sid is then unknown, the router's
# session is gone, the other session goes on); an unknown sid; hostile
# control connections that close only themselves; two sockets merged.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@} ${!PARLEYCTL_@}; do unset "$_v"; done
BOSHD=$BUILD_DIR/boshd/boshd
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL" "$BOSHD"
command -v perl >/dev/null || skip_file "perl is needed for raw sockets and JSON"
perl -MJSON::PP -e 1 2>/dev/null || skip_file "perl's JSON::PP is needed"

NS_BIND=http://jabber.org/protocol/httpbind
GW_SOCK=$T/router.sock
CTL_SOCK=$T/control.sock
A_SOCK=$T/a.sock
A_CTL=$T/a.ctl
B_SOCK=$T/b.sock
B_CTL=$T/b.ctl
BG_PIDS=() # background curls, reaped at the end

# ---- daemons ------------------------------------------------------------------
# start_boshd [options...]: boshd with readiness on a FIFO; sets BOSHD_PID.
start_boshd() {
	local fifo=$T/ready.boshd.${#DAEMON_PIDS[@]}
	local log=$T/boshd.${#DAEMON_PIDS[@]}.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BOSHD" -l debug -d 3 "$@" </dev/null >>"$log" 2>&1 3>"$fifo" &
	BOSHD_PID=$!
	DAEMON_PIDS+=("$BOSHD_PID")
	DAEMON_LOGS+=("$log")
	if wait_ready "$fifo" "$BOSHD_PID" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$BOSHD_PID" 2>/dev/null
	fail "start_boshd" "boshd $* did not become ready; log:
$(tail -n 20 "$log")"
	return 1
}
ctl() { "$PARLEYCTL" --control-socket "$CTL_SOCK" "$@"; }
bctl() { "$PARLEYCTL" --bosh-control-socket "$A_CTL" "$@"; }
both() { "$PARLEYCTL" --bosh-control-socket "$A_CTL" --bosh-control-socket "$B_CTL" "$@"; }
# wait_until SECONDS COMMAND...: polls COMMAND (every 50 ms) until it succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's state
	done
}
has_session() { ctl --tsv session list 2>/dev/null | grep -q "$1"; }
no_session() { ! has_session "$1"; }
# field TSV SID NAME: the value of column NAME in the row of SID.
field() {
	awk -F'\t' -v sid="$2" -v name="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["sid"] == sid { print $col[name] }' <<<"$1"
}

# ---- BOSH requests with curl ------------------------------------------------------
# bosh BODY [PATH]: one POST; BS the status, BB the body.
bosh() {
	BS=$(curl -sS --max-time 30 -o "$T/bb" -w '%{http_code}' \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
		"$(url "${2:-/http-bind/}")" 2>"$T/curl.err")
	BB=$(cat "$T/bb")
}
# attr NAME [TEXT]: the value of the attribute NAME of the first <body>.
attr() {
	printf '%s' "${2:-$BB}" | grep -o '<body [^>]*' | head -n 1 |
		grep -oE "(^| )$1=['\"][^'\"]*['\"]" | head -n 1 |
		sed -E "s/^ ?$1=['\"]//; s/['\"]\$//"
}
create_body() { # RID WAIT HOLD
	printf "<body rid='%s' to='localhost' xml:lang='en' wait='%s' hold='%s' content='text/xml; charset=utf-8' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='%s'/>" \
		"$1" "$2" "$3" "$NS_BIND"
}
# Sessions by name: $T/NAME.sid, $T/NAME.rid (the last rid used), $T/NAME.path;
# the request with rid R writes $T/NAME.R.{s,b} (s last, when complete).
sess_new() { # NAME PATH WAIT HOLD: creation request (synchronous)
	local name=$1 rid=$((RANDOM * 1000 + 1000))
	echo "$2" >"$T/$name.path"
	: >"$T/$name.log"
	: >"$T/$name.outstanding"
	echo 0 >"$T/$name.seen"
	bosh "$(create_body "$rid" "$3" "$4")" "$2"
	echo "$rid" >"$T/$name.rid"
	attr sid >"$T/$name.sid"
	[ "$BS" = 200 ] && [ -s "$T/$name.sid" ]
}
sess_sid() { cat "$T/$1.sid"; }
sess_rid() { cat "$T/$1.rid"; }
sess_body() { # NAME RID PAYLOAD [EXTRA-ATTRS]
	if [ -z "$3" ]; then
		printf "<body rid='%s' sid='%s' %s xmlns='%s'/>" "$2" "$(sess_sid "$1")" "${4:-}" "$NS_BIND"
	else
		printf "<body rid='%s' sid='%s' %s xmlns='%s'>%s</body>" "$2" "$(sess_sid "$1")" "${4:-}" "$NS_BIND" "$3"
	fi
}
# breq NAME PAYLOAD [EXTRA-ATTRS]: sends the next request in the
# background; REQ_RID is its rid.
breq() {
	local name=$1 rid
	rid=$(($(sess_rid "$name") + 1))
	echo "$rid" >"$T/$name.rid"
	REQ_RID=$rid
	rm -f "$T/$name.$rid.s"
	sess_body "$name" "$rid" "$2" "${3:-}" >"$T/$name.$rid.in"
	(
		curl -sS --max-time 40 -o "$T/$name.$rid.b" -w '%{http_code}' \
			-H 'Content-Type: text/xml; charset=utf-8' \
			--data-binary @"$T/$name.$rid.in" \
			"$(url "$(cat "$T/$name.path")")" >"$T/$name.$rid.st" 2>/dev/null
		mv "$T/$name.$rid.st" "$T/$name.$rid.s"
	) &
	BG_PIDS+=($!)
	echo "$rid" >>"$T/$name.outstanding"
}
bdone() { [ -e "$T/$1.$2.s" ]; }
# bget NAME RID [SECONDS]: waits for that request's response; BS, BB.
bget() {
	BS='' BB=''
	wait_until "${3:-10}" bdone "$1" "$2" || return 1
	BS=$(cat "$T/$1.$2.s")
	BB=$(cat "$T/$1.$2.b" 2>/dev/null)
	return 0
}
bsync() { breq "$@" && bget "$1" "$REQ_RID"; }
# breap NAME: moves finished responses from outstanding to $T/NAME.log.
breap() {
	local name=$1 r left=()
	while read -r r; do
		[ -n "$r" ] || continue
		if bdone "$name" "$r"; then
			{ cat "$T/$name.$r.b"; echo; } >>"$T/$name.log"
		else
			left+=("$r")
		fi
	done <"$T/$name.outstanding"
	printf '%s\n' "${left[@]}" | grep . >"$T/$name.outstanding"
	return 0
}
# bexpect NAME REGEX [MS]: keeps a request held, as a client does, until a
# response line not yet looked at matches REGEX.
bexpect() {
	local name=$1 re=$2 ms=${3:-8000} from deadline hit
	from=$(cat "$T/$name.seen" 2>/dev/null || echo 0)
	deadline=$(($(now_ms) + ms))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		breap "$name"
		hit=$(tail -n +"$((from + 1))" "$T/$name.log" | grep -nEm 1 -- "$re")
		if [ -n "$hit" ]; then
			echo $((from + ${hit%%:*})) >"$T/$name.seen"
			return 0
		fi
		[ -s "$T/$name.outstanding" ] || breq "$name" ""
		sleep 0.05 # polling files curl writes
	done
	return 1
}
# bosh_login NAME PATH USER PASSWORD RESOURCE: creation, PLAIN, restart,
# bind, presence; 0 if bound.
bosh_login() {
	local name=$1 u=$3 pw=$4 res=$5 b64
	sess_new "$name" "$2" 20 1 || return 1
	b64=$(printf '\0%s\0%s' "$u" "$pw" | base64 -w0)
	bsync "$name" "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$b64</auth>" || return 1
	case $BB in *"<success"*) ;; *) return 1 ;; esac
	bsync "$name" "" "xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'" || return 1
	bsync "$name" "<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$res</resource></bind></iq>" || return 1
	case $BB in *"<jid>$u@localhost/$res</jid>"*) ;; *) return 1 ;; esac
	breq "$name" "<presence xmlns='jabber:client'/>"
}
# bsettle NAME: a ping through the session, and every response up to its
# result: what the router had to say before is out.
SETTLE_N=0
bsettle() {
	SETTLE_N=$((SETTLE_N + 1))
	breq "$1" "<iq xmlns='jabber:client' type='get' id='settle$SETTLE_N' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
	bexpect "$1" "id='settle$SETTLE_N'" 8000
}
# barrier: a GET through http-filed (one worker) and boshd A; when it is
# answered, boshd A has every request sent before it.
barrier() { http /http-bind/ && [ "$STATUS" = 200 ]; }

# ---- start: router, two boshd, http-filed ----------------------------------------
start_xmppd --gateway-socket "$GW_SOCK" --control-socket "$CTL_SOCK" || finish
add_user alice apw && add_user bob bpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"
start_boshd --socket "$A_SOCK" --router "$GW_SOCK" --max-wait 20 \
	--inactivity 30 --control-socket "$A_CTL" || finish
A_PID=$BOSHD_PID
start_boshd --socket "$B_SOCK" --router "$GW_SOCK" --max-wait 2 \
	--inactivity 40 --control-socket "$B_CTL" || finish
B_PID=$BOSHD_PID
mkdir -p "$T/www"
start_httpd --route "/http-bind=$A_SOCK" --route "/b-bind=$B_SOCK" || finish

# ---- an empty boshd ----------------------------------------------------------------
assert_eq "the control socket is mode 0600" 600 "$(stat -c %a "$A_CTL")"
out=$(bctl bosh list)
assert_eq "no sessions: empty list, exit 0" "0:" "$?:$out"
out=$(bctl bosh stats)
assert_match "stats with no session: sessions 0" '^sessions +0$' "$out"
err=$("$PARLEYCTL" bosh list 2>&1)
assert_eq "no --bosh-control-socket: usage, exit 100" 100 "$?"
assert_match "... saying which option" 'bosh-control-socket' "$err"
out=$(PARLEYCTL_BOSH_CONTROL_SOCKET=$A_CTL "$PARLEYCTL" bosh list 2>&1)
assert_eq "PARLEYCTL_BOSH_CONTROL_SOCKET names the socket" "0:" "$?:$out"

# ---- two sessions: alice bound, n not authenticated -------------------------------
bosh_login a /http-bind/ alice apw web ||
	fail "alice logs in over BOSH" "$BS $BB"
bsettle a || fail "a ping through alice's session" "$(tail -n 3 "$T/a.log")"
breq a "" # held: nothing is queued for alice
HELD=$REQ_RID
barrier
sess_new n /http-bind/ 20 1 || fail "an unauthenticated session" "$BS $BB"

tsv=$(bctl --tsv bosh list)
assert_eq "bosh list exits 0" 0 "$?"
assert_eq "--tsv: header line" \
	"$(printf 'sid\tjid\trid\theld\tqueued\tlast_activity\tinactivity_left\twait\thold\tpeer\tsince')" \
	"$(head -n 1 <<<"$tsv")"
assert_eq "two sessions listed" 2 "$(tail -n +2 <<<"$tsv" | wc -l)"
A_SID=$(sess_sid a)
N_SID=$(sess_sid n)
assert_eq "alice's row: the JID the router bound" alice@localhost/web \
	"$(field "$tsv" "$A_SID" jid)"
assert_eq "... rid: the last one processed" "$HELD" "$(field "$tsv" "$A_SID" rid)"
assert_eq "... held: 1" 1 "$(field "$tsv" "$A_SID" held)"
assert_eq "... queued: 0 bytes" 0 "$(field "$tsv" "$A_SID" queued)"
assert_eq "... inactivity_left: the whole 30 s while a request is held" 30 \
	"$(field "$tsv" "$A_SID" inactivity_left)"
assert_eq "... wait and hold as granted" "20 1" \
	"$(field "$tsv" "$A_SID" wait) $(field "$tsv" "$A_SID" hold)"
assert_match "... peer: the client's address as http-filed saw it" \
	'^127\.0\.0\.1:[0-9]+$' "$(field "$tsv" "$A_SID" peer)"
since=$(field "$tsv" "$A_SID" since)
now=$(date +%s)
if [ -n "$since" ] && [ "$since" -le "$now" ] && [ "$since" -gt $((now - 120)) ]; then
	ok "... since: the Unix time it was created ($since)"
else fail "... since: the Unix time it was created" "since=$since now=$now"; fi
assert_eq "the unauthenticated session: no JID" "" "$(field "$tsv" "$N_SID" jid)"
assert_eq "... rid: its creation rid" "$(sess_rid n)" "$(field "$tsv" "$N_SID" rid)"
assert_eq "... held: 0 (its creation request was answered)" 0 \
	"$(field "$tsv" "$N_SID" held)"
left=$(field "$tsv" "$N_SID" inactivity_left)
if [ -n "$left" ] && [ "$left" -ge 25 ] && [ "$left" -le 30 ]; then
	ok "... inactivity_left: 30 s or just under ($left)"
else fail "... inactivity_left: 30 s or just under" "$left"; fi
out=$(bctl bosh list)
assert_match "text output: a header line" '^sid +jid +rid +held' \
	"$(head -n 1 <<<"$out")"
assert_match "words may be abbreviated (b l)" "^$A_SID +alice@localhost/web " \
	"$("$PARLEYCTL" --bosh-control-socket "$A_CTL" b l | grep alice)"

json=$(bctl --json bosh list)
assert_eq "--json: one line per session" 2 "$(wc -l <<<"$json")"
parsed=$(perl -MJSON::PP -ne '
	my $o = decode_json($_);
	my @f = qw(sid jid rid held queued last_activity inactivity_left wait hold peer since);
	my @missing = grep { !exists $o->{$_} } @f;
	print "missing @missing\n" if @missing;
	print "$o->{sid} $o->{jid} $o->{held}\n";' <<<"$json" 2>&1)
assert_match "--json lines parse (JSON::PP), alice's with the fields" \
	"^$A_SID alice@localhost/web 1\$" "$parsed"
assert_no_match "... every line has every field" 'missing|error|at -e' "$parsed"
assert_match "--json: numbers are numbers, text is quoted" \
	"^\\{\"sid\":\"$A_SID\",\"jid\":\"alice@localhost/web\",\"rid\":$HELD,\"held\":1,\"queued\":0," \
	"$(grep alice <<<"$json")"

out=$(bctl bosh stats)
assert_match "stats: two sessions" '^sessions +2$' "$out"
assert_match "stats: one request held" '^requests_held +1$' "$out"
assert_match "stats: memory in KiB" '^memory_kib +[1-9][0-9]*$' "$out"
assert_match "stats --json" \
	'^\{"sessions":2,"requests_held":1,"bytes_queued":0,"memory_kib":[0-9]+,"uptime":[0-9]+\}$' \
	"$(bctl --json bosh stats)"

# ---- boshd B: a session with nothing held, and output queued for it ----------------
if bosh_login b /b-bind/ bob bpw desk; then
	ok "bob logs in over BOSH on boshd B"
else fail "bob logs in over BOSH on boshd B" "$BS $BB"; fi
bsettle b || fail "a ping through bob's session" "$(tail -n 3 "$T/b.log")"
# leave it alone: its requests come back after wait (2 s)
while read -r r; do [ -n "$r" ] && bget b "$r" 6; done <"$T/b.outstanding"
B_SID=$(sess_sid b)
queued_b() {
	[ "$("$PARLEYCTL" --tsv --bosh-control-socket "$B_CTL" bosh list |
		awk -F'\t' -v sid="$B_SID" '$1 == sid { print $5 }')" -gt 0 ] 2>/dev/null
}
# alice's message request is held now (hold=1 releases the older one)
breq a "<message xmlns='jabber:client' to='bob@localhost/desk' type='chat'><body>for later</body></message>"
HELD=$REQ_RID
if wait_until 5 queued_b; then
	ok "a message for a session with no request held: queued > 0"
else fail "a message for a session with no request held: queued > 0" \
	"$("$PARLEYCTL" --tsv --bosh-control-socket "$B_CTL" bosh list 2>&1)"; fi
out=$("$PARLEYCTL" --tsv --bosh-control-socket "$B_CTL" bosh list)
assert_eq "... held 0 there" 0 "$(field "$out" "$B_SID" held)"
assert_match "bosh stats: bytes_queued" '^bytes_queued +[1-9][0-9]*$' \
	"$("$PARLEYCTL" --bosh-control-socket "$B_CTL" bosh stats)"
# seconds have passed since n's creation, its only request: the
# inactivity clock has run as long as it has been idle
out=$(bctl --tsv bosh list)
idle=$(field "$out" "$N_SID" last_activity)
left=$(field "$out" "$N_SID" inactivity_left)
if [ -n "$idle" ] && [ "$idle" -ge 1 ] && [ $((idle + left)) -ge 29 ] &&
	[ $((idle + left)) -le 31 ]; then
	ok "n: last_activity $idle s, inactivity_left $left s: 30 in all"
else fail "n: last_activity + inactivity_left = 30" "$idle + $left"; fi

# ---- two sockets: merged ----------------------------------------------------------
tsv=$(both --tsv bosh list)
assert_eq "two boshd: one header, three sessions" 3 "$(tail -n +2 <<<"$tsv" | wc -l)"
assert_eq "... bob's session from boshd B" bob@localhost/desk \
	"$(field "$tsv" "$B_SID" jid)"
assert_eq "... alice's from boshd A" alice@localhost/web \
	"$(field "$tsv" "$A_SID" jid)"
assert_eq "--json: three lines" 3 "$(both --json bosh list | wc -l)"
out=$(both bosh stats)
assert_eq "bosh stats: one record per boshd" 2 "$(grep -c '^sessions ' <<<"$out")"
out=$("$PARLEYCTL" --tsv --bosh-control-socket "$T/none.sock" \
	--bosh-control-socket "$A_CTL" bosh list 2>"$T/err")
assert_eq "a boshd that is not there: exit 111" 111 "$?"
assert_eq "... the others' sessions still listed" 2 "$(tail -n +2 <<<"$out" | wc -l)"
assert_match "... and a message naming the socket" "cannot connect to $T/none.sock" \
	"$(cat "$T/err")"

# ---- terminate -----------------------------------------------------------------------
wait_until 5 has_session alice@localhost/web ||
	fail "the router lists alice/web" "$(ctl session list 2>&1)"
err=$("$PARLEYCTL" --bosh-control-socket "$B_CTL" --bosh-control-socket "$A_CTL" \
	bosh terminate "$A_SID" 2>&1)
assert_eq "bosh terminate SID: B does not have it, A does: exit 0" "0:" "$?:$err"
if bget a "$HELD" 5; then
	assert_eq "the held request gets terminate undefined-condition" \
		"200 terminate undefined-condition" "$BS $(attr type) $(attr condition)"
else fail "the held request is answered" "rid $HELD not answered in 5 s"; fi
bsync a "" "ver='1.6'"
assert_eq "the next request with that sid: terminate item-not-found" \
	"terminate item-not-found" "$(attr type) $(attr condition)"
wait_until 5 no_session alice@localhost/web &&
	ok "the router's session list no longer has alice/web" ||
	fail "the router's session list no longer has alice/web" "$(ctl session list 2>&1)"
out=$(bctl --tsv bosh list)
assert_eq "boshd A lists only the other session" "$N_SID" \
	"$(tail -n +2 <<<"$out" | cut -f1)"
bsync n "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$(printf '\0alice\0wrong' | base64 -w0)</auth>"
assert_match "the other session goes on (a SASL failure answered in it)" \
	"^<body [^>]*><failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" "$BB"
assert_eq "... and bob's on boshd B too" 1 \
	"$("$PARLEYCTL" --tsv --bosh-control-socket "$B_CTL" bosh list | grep -c "^$B_SID")"
err=$(both bosh terminate 00000000-nosuchsid 2>&1)
assert_eq "terminate an unknown sid: exit 1" 1 "$?"
assert_match "... with a message" 'no such BOSH session' "$err"
bctl bosh terminate 2>/dev/null
assert_eq "terminate without a sid: usage, exit 100" 100 "$?"
"$PARLEYCTL" --bosh-control-socket "$T/none.sock" --bosh-control-socket "$A_CTL" \
	bosh terminate 00000000-nosuchsid 2>/dev/null
assert_eq "unknown sid with a boshd unreachable: exit 111 (cannot tell)" 111 "$?"

# ---- hostile control connections ------------------------------------------------------
# raw.pl MODE: prints the frame types received (end<channel>:<status> for
# CTL_END), then "eof" if boshd closed within 3 s, or "open".
cat >"$T/raw.pl" <<'EOF'
use strict;
use IO::Socket::UNIX;
my ($path, $mode, $count) = @ARGV;
sub frame { my ($type, $ch, $p) = @_; pack("N n n N N", length $p, $type, 0, $ch, 0) . $p }
sub attr { my ($k, $v) = @_; pack("n N", $k, length $v) . $v }
my $hello = frame(1, 0, "parley 1.2 raw-test");
my %send = (
	garbage => "\x00\xffGET / HTTP/1.1\r\n\r\n" . ("\xa5" x 64),
	"stream-open" => $hello . frame(32, 1, attr(4, "x")),
	"ctl-reply" => $hello . frame(65, 1, attr(14, "a=b")),
	"bad-attrs" => $hello . frame(64, 1, pack("n N", 12, 200) . "stats"),
	channel0 => $hello . frame(64, 0, attr(12, "stats")),
	"too-long" => $hello . pack("N n n N N", 65537, 64, 0, 1, 0),
	"no-hello" => frame(64, 1, attr(12, "stats")),
	unknown => $hello . frame(64, 1, attr(12, "session kick") . attr(13, "x")),
	operands => $hello . frame(64, 2, attr(12, "session terminate")),
);
sub talk {
	my ($s, $bytes) = @_;
	print $s $bytes;
	my ($got, $eof, $rin) = ("", 0, "");
	vec($rin, fileno($s), 1) = 1;
	while (select(my $r = $rin, undef, undef, 3)) {
		my $n = sysread($s, my $b, 65536);
		if (!$n) { $eof = 1; last }
		$got .= $b;
	}
	my @types;
	while (length $got >= 16) {
		my ($len, $type, $fl, $ch) = unpack("N n n N", $got);
		last if length $got < 16 + $len;
		my $p = substr($got, 16, $len);
		push @types, $type == 66 ? "end$ch:" . unpack("N", substr($p, 6, 4)) : $type;
		$got = substr($got, 16 + $len);
	}
	return join(" ", @types) . ($eof ? " eof" : " open");
}
if ($mode eq "hold") {
	my @s;
	for (1 .. $count) {
		my $s = IO::Socket::UNIX->new(Peer => $path) or die "connect: $!";
		push @s, $s;
	}
	my ($hellos, $eofs) = (0, 0);
	for my $s (@s) {
		my ($rin, $b) = ("", "");
		vec($rin, fileno($s), 1) = 1;
		select(my $r = $rin, undef, undef, 3) or next;
		my $n = sysread($s, $b, 16);
		if ($n) { $hellos++ } else { $eofs++ }
	}
	print "$hellos hello, $eofs eof\n";
	exit 0;
}
my $s = IO::Socket::UNIX->new(Peer => $path) or die "connect: $!";
print talk($s, $send{$mode}), "\n";
EOF
raw_ctl() { timeout 20 perl "$T/raw.pl" "$A_CTL" "$@" 2>&1; }
assert_eq "an unknown command: status 100, the connection stays open" \
	"1 end1:100 open" "$(raw_ctl unknown)"
assert_eq "a missing operand: status 100, the connection stays open" \
	"1 end2:100 open" "$(raw_ctl operands)"
for mode in garbage stream-open ctl-reply bad-attrs channel0 too-long no-hello; do
	out=$(raw_ctl "$mode")
	assert_match "$mode: only that connection is closed" 'eof$' "$out"
	out=$(bctl --tsv bosh list)
	assert_match "$mode: boshd still serves its control socket" "^$N_SID" \
		"$(tail -n +2 <<<"$out")"
done
assert_eq "past 16 control connections, the next is refused" \
	"16 hello, 1 eof" "$(raw_ctl hold 17)"
assert_match "then control works again" '^sessions +1$' "$(bctl bosh stats)"
http /http-bind/
assert_eq "and boshd still serves HTTP" 200 "$STATUS"
assert_alive "boshd A still running" "$A_PID"

# ---- the end ---------------------------------------------------------------------------
stop_daemon boshd "$A_PID"
err=$(bctl bosh list 2>&1)
assert_eq "boshd stopped: exit 111" 111 "$?"
assert_match "... cannot connect, with the reason" \
	"^parleyctl: cannot connect to $A_CTL: Connection refused$" "$err"
stop_daemon boshd "$B_PID"
for p in "${BG_PIDS[@]}"; do
	proc_has_exited "$p" || kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
finish
