#!/usr/bin/perl

# event.outcome, getRequestExecutionContext().outcome and
# after(function (outcome)): background code learns what the client
# request really ended with (status, bytes, times, upstream), once per
# request, whatever ended it: a proxied answer, an upstream failure, a
# "return" in the location, the middleware's own redirect or response, a
# rewrite, an error page, a client that goes away mid-response or before
# the decision, HTTP/2 (a stream reset too); 1,000 concurrent requests
# each get their own; a detached request cancelled or shed while it waits
# leaves nothing behind.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use JSON::PP;
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();
my $valgrind = $ENV{TEST_NGINX_VALGRIND};
my $N = $valgrind ? 100 : 1000;

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

function record(tag, o) {
    ngx.log(ngx.WARN, 'OUTCOME ' + tag + ' ' + JSON.stringify(o));
}

function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

async function middleware(request, event) {
    var p = request.nextUrl.pathname;
    var tag = request.nextUrl.searchParams.get('tag') || p;
    var ctx = server.getRequestExecutionContext();
    var res;

    if (p === '/after') {
        /* a callback with a parameter waits for the outcome */
        server.after(function (o) { record(tag, o); });
        server.after(function () { ngx.log(ngx.WARN, 'PLAIN AFTER ' + tag); });
        return NextResponse.next();
    }

    if (p === '/late') {
        /* asked for long after the response: answered at once */
        event.waitUntil(sleep(500).then(function () {
            return ctx.outcome.then(function (o) { record(tag, o); });
        }));
        res = NextResponse.next();
        res.headers.set('x-request-id', ctx.requestId);
        return res;
    }

    if (p === '/twice') {
        ngx.log(ngx.WARN, 'SAME PROMISE ' + (event.outcome === ctx.outcome));
    }

    event.waitUntil(event.outcome.then(function (o) { record(tag, o); }));

    if (p === '/before') {
        /* the client goes away while the middleware still decides */
        await sleep(600);
    }

    if (p.indexOf('/conc/') === 0) {
        await sleep(300);

        if (Number(p.slice(6)) % 2) {
            return new Response('odd ' + tag, { status: 403,
                headers: { 'x-request-id': ctx.requestId } });
        }
    }

    if (p === '/mw-redirect') {
        return NextResponse.redirect(new URL('/elsewhere', request.url));
    }

    if (p === '/mw-response') {
        return new Response('denied by the middleware', { status: 401 });
    }

    if (p === '/mw-rewrite') {
        return NextResponse.rewrite(new URL('/rewritten?x=1', request.url));
    }

    res = NextResponse.next();
    res.headers.set('x-request-id', ctx.requestId);
    return res;
}

export default server.serve(middleware);
EOF

# a second wait on the same detached request, past the runtime (which
# keeps one promise per request): refused, the first one still answered

$t->write_file_expand('double.js', <<'EOF');
import server from 'next/server.js';
import outcome from 'next/outcome.js';

var served = server.serve(function (request, event) {
    event.waitUntil(event.outcome.then(function (o) {
        ngx.log(ngx.WARN, 'OUTCOME double ' + JSON.stringify(o));
    }));
    return server.NextResponse.next();
});

function handle(r) {
    served.handle(r);

    outcome.wait(r, true).then(function () {
        ngx.log(ngx.WARN, 'SECOND WAIT answered');
    }, function (e) {
        ngx.log(ngx.WARN, 'SECOND WAIT ' + e.message);
    });
}

export default { handle };
EOF

$t->write_file('up.js', <<'EOF');
function slow(r) {
    setTimeout(function () { r.return(200, 'slow'); }, 3000);
}
export default { slow };
EOF

$t->write_file('big.bin', 'x' x (4 * 1024 * 1024));

# valgrind keeps descriptors for itself: nginx may not raise its limit
my $rlimit = $valgrind ? '' : 'worker_rlimit_nofile 8192;';

$t->write_file_expand('nginx.conf', <<'EOF' =~ s/%%RLIMIT%%/$rlimit/r);
%%TEST_GLOBALS%%

worker_processes 1;
%%RLIMIT%%

events {
    worker_connections 8192;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import up from %%TESTDIR%%/up.js;
    js_import double from %%TESTDIR%%/double.js;

    log_format outcome '$request_id $status $body_bytes_sent '
                       '$upstream_status $middleware_action';

    server {
        listen 127.0.0.1:%%PORT_0%% backlog=2048;
        listen 127.0.0.1:%%PORT_1%% http2;

        access_log %%TESTDIR%%/outcome.log outcome;

        middleware @mw;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location = /bad-gateway {
            proxy_pass http://127.0.0.1:%%PORT_3%%;
        }

        location = /not-found {
            return 404;
        }

        location = /rewritten {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location = /error-page {
            proxy_pass http://127.0.0.1:%%PORT_2%%/fail;
            proxy_intercept_errors on;
            error_page 503 = @fallback;
        }

        location @fallback {
            return 202 "fallback\n";
        }

        location = /big {
            alias %%TESTDIR%%/big.bin;
            limit_rate 256k;
        }

        location = /cancelled {
            middleware_background_timeout 1s;
            proxy_pass http://127.0.0.1:%%PORT_2%%/slow;
        }

        location = /before {
            return 204;
        }

        location /conc/ {
            return 200 "even $uri\n";
        }

        location = /stub_status {
            middleware off;
            stub_status;
        }

        location = /double {
            middleware @double;
            return 200 "double\n";
        }

        location @double {
            js_content double.handle;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            return 200 "upstream $uri\n";
        }

        location = /fail {
            return 503;
        }

        location = /slow {
            js_content up.slow;
        }
    }
}
EOF

$t->run();

my $base = $t->baseline_connections();

# the outcome lines of the error log, by tag

sub outcomes {
    my %o;

    for my $l (split /\n/, $t->error_log()) {
        my ($tag, $json) = $l =~ /OUTCOME (\S+) (\{.*\})/ or next;
        push @{ $o{$tag} }, decode_json($json);
    }

    return \%o;
}

sub outcome {
    my ($tag) = @_;

    $t->wait_for_log(qr/OUTCOME \Q$tag\E /, 10);
    my $o = outcomes()->{$tag} or return {};
    return $o->[0];
}

# --- what the client got and what background code learns -------------------

my $r = $t->http_get('/proxied?tag=proxied');
is(status($r), 200, 'proxied: 200');
my $o = outcome('proxied');
is($o->{status}, 200, 'proxied: status');
is($o->{upstreamStatus}, 200, 'proxied: upstream status');
ok(defined $o->{upstreamResponseTime} && $o->{upstreamResponseTime} >= 0,
   'proxied: upstream response time');
is($o->{upstreams}[0]{addr}, '127.0.0.1:' . $t->port(2),
   'proxied: upstream address');
is($o->{action}, 'next', 'proxied: action');
is($o->{requestId}, header($r, 'x-request-id'),
   'proxied: the request id of the response');
is($o->{bodyBytesSent}, length(body($r)), 'proxied: body bytes');
is($o->{bytesSent}, length($r), 'proxied: bytes sent, headers included');
ok($o->{requestTime} >= 0, 'proxied: request time');
ok(defined $o->{middlewareTime}, 'proxied: middleware time');
ok(!$o->{aborted}, 'proxied: not aborted');
is($o->{uri}, '/proxied', 'proxied: uri');

$r = $t->http_get('/bad-gateway?tag=502');
is(status($r), 502, 'upstream down: 502');
$o = outcome('502');
is($o->{status}, 502, 'upstream down: status 502, not the decision\'s 200');
is($o->{upstreamStatus}, 502, 'upstream down: upstream status');
is($o->{action}, 'next', 'upstream down: the middleware said next');

# the request id joins the outcome with nginx's access log

like($t->read_file('outcome.log'),
     qr/^\Q$o->{requestId}\E 502 $o->{bodyBytesSent} 502 next$/m,
     'upstream down: the access log line of the same request agrees');

$r = $t->http_get('/not-found?tag=404');
is(status($r), 404, 'return 404');
$o = outcome('404');
is($o->{status}, 404, 'return 404: status');
is($o->{upstreamStatus}, undef, 'return 404: no upstream');
is_deeply($o->{upstreams}, [], 'return 404: no upstream tries');

$r = $t->http_get('/mw-redirect?tag=redirect');
is(status($r), 307, 'middleware redirect');
$o = outcome('redirect');
is($o->{status}, 307, 'redirect: status');
is($o->{action}, 'redirect', 'redirect: action');

$r = $t->http_get('/mw-response?tag=response');
is(status($r), 401, 'middleware response');
$o = outcome('response');
is($o->{status}, 401, 'response: status');
is($o->{action}, 'response', 'response: action');
is($o->{bodyBytesSent}, length('denied by the middleware'),
   'response: body bytes');

$r = $t->http_get('/mw-rewrite?tag=rewrite');
is(body($r), "upstream /rewritten\n", 'middleware rewrite');
$o = outcome('rewrite');
is($o->{status}, 200, 'rewrite: status');
is($o->{action}, 'rewrite', 'rewrite: action');
is($o->{uri}, '/rewritten', 'rewrite: the final uri');
is($o->{upstreamStatus}, 200, 'rewrite: upstream status');

# a long URI is cut at 256 bytes, between UTF-8 sequences ("/" and 255
# bytes would end inside a character)

$r = $t->http_get('/x' . ('%E2%82%AC' x 100) . '?tag=long');
$o = outcome('long');
is($o->{uri}, '/x' . ("\x{20ac}" x 84), 'a long uri: cut, whole characters');

$r = $t->http_get('/error-page?tag=errpage');
is(status($r), 202, 'error_page to a named location');
$o = outcome('errpage');
is($o->{status}, 202, 'error page: the final status');
is($o->{upstreamStatus}, 503, 'error page: the upstream said 503');

$r = $t->http_get('/after?tag=after');
is(status($r), 200, 'after()');
$o = outcome('after');
is($o->{status}, 200, 'after(function (outcome)): called with the outcome');
ok($t->wait_for_log(qr/PLAIN AFTER after/, 5),
   'after(function ()): still runs as in Next.js');

$r = $t->http_get('/late?tag=late');
$o = outcome('late');
is($o->{requestId}, header($r, 'x-request-id'),
   'asked for after the request ended: answered');

$r = $t->http_get('/twice?tag=twice');
ok($t->wait_for_log(qr/SAME PROMISE true/, 5),
   'event.outcome and ctx.outcome: one promise');

# the wait is F's: a keepalive client is not held, and a client cannot
# reach the channel

my ($r1, $t1, $r2, $t2) = $t->keepalive_pair('/ka?tag=ka1', '/ka?tag=ka2');
is(body($r2), "upstream /ka\n", 'keepalive: the second request answered');
cmp_ok($t1 + $t2, '<', $valgrind ? 10 : 1, 'keepalive: nothing waits');
is(outcome('ka2')->{requestId}, header($r2, 'x-request-id'),
   'keepalive: the second request\'s own outcome');
is(outcome('ka1')->{requestId}, header($r1, 'x-request-id'),
   'keepalive: the first request\'s own outcome');

$r = $t->http_get('/.middleware/outcome?tag=client');
is(body($r), "upstream /.middleware/outcome\n",
   'a client request for the channel is an ordinary request');

$r = $t->http_get('/double');
is(body($r), "double\n", 'a second wait: the response is unaffected');
ok($t->wait_for_log(qr/SECOND WAIT .*status 409/, 5),
   'a second wait: refused with 409');
is(outcome('double')->{status}, 200, 'a second wait: the first answered');

# --- clients that go away -----------------------------------------------------

{
    my $s = $t->http_start("GET /big?tag=abort HTTP/1.1\r\nHost: localhost"
                           . "\r\n\r\n");
    my $sel = IO::Select->new($s);
    my $got = 0;

    while ($got < 65536 && $sel->can_read(5)) {
        my $n = sysread($s, my $buf, 16384) or last;
        $got += $n;
    }

    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $s;

    ok($got >= 65536, 'abort: part of the response was read');
}

$o = outcome('abort');
is($o->{status}, 200, 'abort mid-response: status');
ok($o->{aborted}, 'abort mid-response: aborted');
ok($o->{bodyBytesSent} < 4 * 1024 * 1024,
   "abort mid-response: $o->{bodyBytesSent} of 4 MiB sent");

{
    my $s = $t->http_start("GET /before?tag=before HTTP/1.1\r\n"
                           . "Host: localhost\r\n\r\n");
    sleep 0.2;
    close $s;
}

$o = outcome('before');
is($o->{action}, 'running', 'gone before the decision: action running');
ok($o->{aborted}, 'gone before the decision: aborted');
is($o->{status}, 499, 'gone before the decision: 499');
is($o->{middlewareTime}, undef, 'gone before the decision: no decision time');

# --- HTTP/2 -------------------------------------------------------------------

$r = $t->http2_get('/h2?tag=h2', port => $t->port(1));
like($r, qr{^HTTP/2 200}, 'http2: 200');
$o = outcome('h2');
is($o->{status}, 200, 'http2: status');
is($o->{upstreamStatus}, 200, 'http2: upstream status');
ok($o->{bytesSent} > 0, 'http2: bytes sent');

$r = $t->http2_get('/big?tag=h2abort', port => $t->port(1), timeout => 0.5);
$o = outcome('h2abort');
ok($o->{aborted}, 'http2: client gone mid-response: aborted');
ok($o->{bodyBytesSent} < 4 * 1024 * 1024,
   'http2: client gone mid-response: part sent');

# a real stream reset (RST_STREAM CANCEL) after the first DATA frame, the
# connection stays

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port(1))
        or die "connect: $!\n";
    my $frame = sub {
        my ($type, $flags, $sid, $payload) = @_;
        return pack('NCN', (length($payload) << 8) | $type, $flags, $sid)
               . $payload;
    };
    my $str = sub { chr(length $_[0]) . $_[0] };

    # :method GET, :scheme http, :path, :authority (HPACK, no Huffman)
    my $hpack = "\x82\x86" . "\x04" . $str->('/big?tag=h2reset')
                . "\x01" . $str->('localhost');

    syswrite($s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                 . $frame->(4, 0, 0, '') . $frame->(1, 0x5, 1, $hpack));

    my ($buf, $data) = ('', 0);
    my $sel = IO::Select->new($s);

    while (!$data && $sel->can_read(5)) {
        sysread($s, my $chunk, 65536) or last;
        $buf .= $chunk;

        while (length $buf >= 9) {
            my ($lt, $fl, $sid) = unpack('NCN', $buf);
            my $len = $lt >> 8;
            last if length $buf < 9 + $len;
            $data = 1 if ($lt & 0xff) == 0 && $sid == 1 && $len;
            substr($buf, 0, 9 + $len) = '';
        }
    }

    ok($data, 'http2 reset: DATA received');
    syswrite($s, $frame->(3, 0, 1, pack('N', 8)));

    $o = outcome('h2reset');
    ok($o->{aborted}, 'http2 reset: aborted');
    is($o->{status}, 200, 'http2 reset: status');
    ok($o->{bodyBytesSent} < 4 * 1024 * 1024, 'http2 reset: part sent');
    close $s;
}

# --- F cancelled while it waits ---------------------------------------------

$r = $t->http_get('/cancelled?tag=cancelled');
is(body($r), 'slow', 'cancelled: the client still gets its answer');
ok($t->wait_for_log(qr/cancelled by middleware_background_timeout/, 5),
   'cancelled: the waiting detached request was cancelled');
sleep 0.3;
ok(!outcomes()->{cancelled}, 'cancelled: no outcome for a cancelled wait');

# --- many at once -------------------------------------------------------------

my (@socks, @resp);

for my $i (0 .. $N - 1) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port(0))
        or die "connect: $!\n";
    push @socks, $s;
}

for my $i (0 .. $N - 1) {
    syswrite($socks[$i], "GET /conc/$i?tag=c$i HTTP/1.1\r\nHost: localhost"
                         . "\r\nConnection: close\r\n\r\n");
    $socks[$i]->blocking(0);
    $resp[$i] = '';
}

{
    my $sel = IO::Select->new(@socks);
    my %idx = map { fileno($socks[$_]) => $_ } 0 .. $N - 1;
    my $limit = time() + ($valgrind ? 240 : 60);

    while ($sel->count && time() < $limit) {
        for my $s ($sel->can_read(1)) {
            my $n = sysread($s, my $buf, 65536);

            if ($n) {
                $resp[$idx{fileno $s}] .= $buf;
                next;
            }

            next if !defined $n && $!{EAGAIN};

            $sel->remove($s);
            close $s;
        }
    }
}

$t->wait_for(sub {
    my @n = $t->error_log() =~ /OUTCOME c\d+ /g;
    @n >= $N;
}, $valgrind ? 240 : 30);

my $all = outcomes();
my ($own, $once) = (0, 0);

for my $i (0 .. $N - 1) {
    my $list = $all->{"c$i"} || [];
    $once++ if @$list == 1;

    my $o = $list->[0] or next;
    my $r = $resp[$i];
    my $want = $i % 2 ? 403 : 200;

    $own++ if (status($r) // 0) == $want
        && $o->{status} == $want
        && $o->{requestId} eq (header($r, 'x-request-id') // '')
        && $o->{bodyBytesSent} == length(body($r))
        && $o->{uri} eq "/conc/$i"
        && $o->{action} eq ($i % 2 ? 'response' : 'next');
}

is($once, $N, "$N concurrent requests: one outcome each");
is($own, $N, "$N concurrent requests: each its own status, id, size, uri");

# --- exactly once, nothing left -------------------------------------------------

$all = outcomes();
is(join(',', grep { @{ $all->{$_} } != 1 } sort keys %$all), '',
   'every request: exactly one outcome');

my $back = $t->wait_for(sub {
    ($t->active_connections() // -1) == $base
}, 10);
ok($back, 'active connections back to the baseline')
    or diag('active: ' . $t->active_connections() . ", baseline $base");

ok($t->stop(), 'nginx stopped');
$t->no_alerts_ok();

my @refused = $t->error_log() =~ /outcome is already awaited/g;
is(scalar @refused, 1, 'one refused outcome request, logged');

# --- F shed while it waits ------------------------------------------------------

my $ts = Mw::Nginx->new();

$ts->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';

function middleware(request, event) {
    var tag = request.nextUrl.searchParams.get('tag');

    event.waitUntil(event.outcome.then(function (o) {
        ngx.log(ngx.WARN, 'OUTCOME ' + tag + ' ' + JSON.stringify(o));
    }));

    if (tag === 'hold') {
        event.waitUntil(ngx.fetch('http://127.0.0.1:%%PORT_1%%/'));
    }

    return server.NextResponse.next();
}

export default server.serve(middleware);
EOF

$ts->write_file('sink.js', <<'EOF');
function slow(r) {
    setTimeout(function () { r.return(200, 'ok'); }, 1500);
}
export default { slow };
EOF

$ts->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import sink from %%TESTDIR%%/sink.js;

    middleware_background_max 1;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        middleware @mw;

        location / {
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location / {
            js_content sink.slow;
        }
    }
}
EOF

$ts->run();

is(status($ts->http_get('/?tag=hold')), 200, 'shed: the first request');
is(status($ts->http_get('/?tag=shed')), 200, 'shed: the second request');
ok($ts->wait_for_log(qr/background queue full.*shed/, 5),
   'shed: the second one\'s background work, outcome wait included');
ok($ts->wait_for_log(qr/OUTCOME hold /, 5),
   'shed: the first one still gets its outcome');
sleep 0.3;
unlike($ts->error_log(), qr/OUTCOME shed /, 'shed: nothing of it waits on');

ok($ts->stop(), 'shed: nginx stopped');
$ts->no_alerts_ok('shed: no alerts');

done_testing();
