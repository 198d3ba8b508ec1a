#!/bin/bash
# test_control.sh: xmpp-routerd's control socket (PROTOCOL.md section 10)
# through parleyctl: session list in its three formats (text, --json lines
# that parse, --tsv), JSON string escaping, session kick by full and bare
# JID with <policy-violation/>, unknown JIDs, stats, a daemon that is not
# there (exit 111); and raw hostile control connections (garbage, unknown
# types, truncated attributes, oversized frames, past the connection
# limit), each closing only itself while the daemon goes on serving.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
command -v perl >/dev/null || skip_file "perl is needed for raw unix sockets"
CTL=$T/ctl.sock
start_xmppd --control-socket "$CTL" || finish
add_user alice apw && add_user bob bpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"
ctl() { "$PARLEYCTL" --control-socket "$CTL" "$@"; }

assert_eq "the control socket is mode 0600" 600 "$(stat -c %a "$CTL")"
out=$(ctl session list)
assert_eq "no sessions: empty list, exit 0" "0:" "$?:$out"

client_start alice alice@localhost/laptop apw ||
	fail "alice logs in" "$(cat "$T/alice.out")"
client_start bob bob@localhost/phone bpw ||
	fail "bob logs in" "$(cat "$T/bob.out")"
client_cmd alice 'send <presence><show>dnd</show><priority>3</priority></presence>'
client_cmd alice 'iq get localhost <ping xmlns="urn:xmpp:ping"/>'
client_wait alice '^result' >/dev/null

# ---- session list ------------------------------------------------------------
out=$(ctl session list)
assert_eq "session list exits 0" 0 "$?"
assert_match "text output has a header line" \
	'^jid +transport +peer +since +bytes_in' "$(head -n 1 <<<"$out")"
assert_eq "two sessions listed" 2 "$(tail -n +2 <<<"$out" | wc -l)"
assert_match "alice's session, over tcp" \
	'^alice@localhost/laptop +tcp +127\.0\.0\.1:[0-9]+ ' "$out"
assert_match "bob's session, over tcp" '^bob@localhost/phone +tcp ' "$out"
assert_match "alice's show and priority from her presence" \
	'^alice@localhost/laptop .* 1 +dnd +3$' "$out"
out=$(ctl se l)
assert_match "words may be abbreviated (se l)" '^bob@localhost/phone' \
	"$(grep bob <<<"$out")"

json=$(ctl --json session list)
assert_eq "--json: one line per session" 2 "$(wc -l <<<"$json")"
assert_match "--json: strings and numbers" \
	'^\{"jid":"alice@localhost/laptop","transport":"tcp","peer":"127\.0\.0\.1:[0-9]+","since":[0-9]+,"bytes_in":[0-9]+,.*"available":1,"show":"dnd","priority":"3"\}$' \
	"$(grep alice <<<"$json")"
tsv=$(ctl --tsv session list)
assert_eq "--tsv: header line" \
	"$(printf 'jid\ttransport\tpeer\tsince\tbytes_in\tbytes_out\tstanzas_in\tstanzas_out\tavailable\tshow\tpriority')" \
	"$(head -n 1 <<<"$tsv")"
assert_match "--tsv: a row" "$(printf '^bob@localhost/phone\ttcp\t')" "$tsv"

# A resource with a quote and a backslash: the JSON escaper at work.
client_start odd 'alice@localhost/q"uo\te' apw ||
	fail "a client with an odd resource logs in" "$(cat "$T/odd.out")"
json=$(ctl --json session list)
assert_match "--json escapes quotes and backslashes" \
	'"jid":"alice@localhost/q\\"uo\\\\te"' "$json"
tsv=$(ctl --tsv session list)
assert_match "--tsv escapes backslashes" "$(printf '^alice@localhost/q"uo\\\\\\\\te\t')" \
	"$tsv"
if command -v node >/dev/null; then
	n=$(node -e '
const l = require("fs").readFileSync(0, "utf8").trim().split("\n");
const o = l.map((x) => JSON.parse(x));
if (!o.some((x) => x.jid === "alice@localhost/q\"uo\\te")) process.exit(1);
console.log(o.length);' <<<"$json")
	assert_eq "--json lines parse as JSON (node)" 3 "$n"
else
	skip "--json lines parse as JSON (node)" "node is not installed"
fi

# ---- session kick --------------------------------------------------------------
ctl session kick alice@localhost/laptop
assert_eq "kick a full JID: exit 0" 0 "$?"
line=$(client_wait alice 'stream-error' 5000)
assert_eq "the kicked client gets <policy-violation/>" \
	"stream-error policy-violation" "$line"
grep -q 'kicked by the administrator' "$T/alice.out" &&
	ok "with the text 'kicked by the administrator'" ||
	fail "with the text 'kicked by the administrator'" "$(cat "$T/alice.out")"
client_stop alice
out=$(ctl session list)
assert_no_match "the kicked session is no longer listed" \
	'^alice@localhost/laptop' "$out"
assert_match "the other alice session is still listed" '^alice@localhost/q' \
	"$out"
ctl session kick alice@localhost
assert_eq "kick a bare JID: exit 0" 0 "$?"
client_wait odd 'stream-error policy-violation' >/dev/null &&
	ok "a bare JID kicks all its sessions" ||
	fail "a bare JID kicks all its sessions" "$(cat "$T/odd.out")"
client_stop odd
err=$(ctl session kick nobody@localhost/x 2>&1)
assert_eq "kick an unknown JID: exit 1" "1" "$?"
assert_match "with a message" 'no such session' "$err"
ctl session kick bob@example.org 2>/dev/null
assert_eq "kick a JID of another domain: exit 1" 1 "$?"
ctl session kick 'a@@b' 2>/dev/null
assert_eq "kick a malformed JID: exit 100" 100 "$?"
ctl session kick 2>/dev/null
assert_eq "kick without a JID: usage, exit 100" 100 "$?"

# ---- stats ------------------------------------------------------------------------
out=$(ctl stats)
assert_match "stats: one session left" '^sessions +1$' "$out"
assert_match "stats: memory in KiB" '^memory_kib +[1-9][0-9]*$' "$out"
json=$(ctl --json stats)
assert_match "stats --json" \
	'^\{"sessions":1,"sessions_tcp":1,"sessions_bosh":0,"sessions_poll":0,"uptime":[0-9]+,"stanzas_in":[0-9]+,"stanzas_out":[0-9]+,"stanzas_routed":[0-9]+,"stanzas_per_second":[0-9]+,"memory_kib":[0-9]+\}$' \
	"$json"

# ---- hostile control connections --------------------------------------------------
# raw_ctl MODE: speaks to the control socket with perl; prints "hello" if
# the daemon said HELLO, the frame types received, then "eof" if the
# daemon closed the connection within 3 s or "open".
cat >"$T/raw.pl" <<'EOF'
use strict;
use IO::Socket::UNIX;
my ($path, $mode, $count) = @ARGV;
sub frame { my ($type, $ch, $p) = @_; pack("N n n N N", length $p, $type, 0, $ch, 0) . $p }
sub attr { my ($k, $v) = @_; pack("n N", $k, length $v) . $v }
my $hello = frame(1, 0, "parley 1.2 raw-test");
my %send = (
	garbage => "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"unknown-type" => $hello . frame(99, 1, ""),
	"stream-open" => $hello . frame(32, 1, attr(4, "x")),
	"bad-attrs" => $hello . frame(64, 1, pack("n N", 12, 200) . "stats"),
	channel0 => $hello . frame(64, 0, attr(12, "stats")),
	"too-long" => $hello . pack("N n n N N", 65537, 64, 0, 1, 0),
	"no-hello" => frame(64, 1, attr(12, "stats")),
	pipelined => $hello . frame(64, 1, attr(12, "stats"))
		. frame(64, 2, attr(12, "session list")) . frame(64, 3, attr(12, "bogus")),
);
sub talk {
	my ($s, $bytes) = @_;
	print $s $bytes if defined $bytes;
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
raw_ctl() { timeout 20 perl "$T/raw.pl" "$CTL" "$@" 2>&1; }
out=$(raw_ctl pipelined)
assert_eq "three requests in one write: answered in order" \
	"1 65 end1:0 65 end2:0 end3:100 open" "$out"
for mode in garbage unknown-type stream-open bad-attrs channel0 too-long \
	no-hello; do
	out=$(raw_ctl "$mode")
	assert_match "$mode: only that connection is closed" 'eof$' "$out"
	out=$(ctl --tsv session list)
	assert_match "$mode: the daemon still serves" '^bob@localhost/phone' \
		"$(tail -n +2 <<<"$out")"
done
assert_eq "past 16 control connections, the next is refused" \
	"16 hello, 1 eof" "$(raw_ctl hold 17)"
out=$(ctl stats)
assert_match "then control works again" '^sessions +1$' "$out"
assert_alive "xmpp-routerd still running" "$XMPPD_PID"

# ---- no daemon ---------------------------------------------------------------------
err=$("$PARLEYCTL" --control-socket "$T/none.sock" session list 2>&1)
assert_eq "no socket: exit 111" 111 "$?"
assert_eq "with the message" \
	"parleyctl: cannot connect to $T/none.sock: No such file or directory" \
	"$err"
"$PARLEYCTL" session list 2>/dev/null
assert_eq "no --control-socket: usage, exit 100" 100 "$?"
err=$(XMPP_ROUTERD_CONTROL_SOCKET=$CTL "$PARLEYCTL" --tsv session list 2>&1)
assert_match "XMPP_ROUTERD_CONTROL_SOCKET names the socket" \
	'^bob@localhost/phone' "$(tail -n +2 <<<"$err")"
client_stop bob
stop_xmppd
err=$(ctl session list 2>&1)
assert_eq "daemon stopped: exit 111" 111 "$?"
assert_match "cannot connect, with the reason" \
	"^parleyctl: cannot connect to $CTL: Connection refused$" "$err"
finish
