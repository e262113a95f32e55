#!/usr/bin/perl

# Tests of the test harness itself (t/lib/Test/Middleware.pm): nginx with
# njs only, raw HTTP/1.1, keepalive, HTTP/2 through curl, concurrent
# requests, a helper backend, logs, reload, "nginx -t", and the response and
# valgrind log parsers.  Our module is not needed.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Test::Middleware qw(:all);

my $t = Test::Middleware->new(module => 0)->has(qw(njs http_v2 curl));

$t->write_file('test.js', <<'EOF');
function hello(r) {
    r.return(200, 'hello from njs\n');
}

function chunked(r) {
    r.status = 200;
    r.headersOut['Content-Type'] = 'text/plain';
    r.sendHeader();
    r.send('abc');
    r.send('def');
    r.finish();
}

function slow(r) {
    setTimeout(function () { r.return(200, 'slow\n'); }, 400);
}

function marker(r) {
    r.error('harness-marker ' + r.args.n);
    r.return(200, 'logged\n');
}

export default { hello: hello, chunked: chunked, slow: slow, marker: marker };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import test from %%TESTDIR%%/test.js;

    server {
        listen       127.0.0.1:%%PORT_0%%;
        server_name  localhost;

        location /ok {
            add_header X-Conn $connection;
            add_header Set-Cookie "a=1";
            add_header Set-Cookie "b=2";
            return 200 "ok\n";
        }

        location /js {
            js_content test.hello;
        }

        location /chunked {
            js_content test.chunked;
        }

        location /slow {
            js_content test.slow;
        }

        location /marker {
            js_content test.marker;
        }

        location /proxy {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
            proxy_set_header X-From nginx;
        }
    }

    server {
        listen       127.0.0.1:%%PORT_1%% http2;
        server_name  localhost;

        location / {
            add_header X-H2 yes;
            return 200 "h2 ok\n";
        }
    }
}
EOF

$t->write_file_expand('bad.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%
    no_such_directive on;
}
EOF

$t->http_daemon($t->port(2), sub {
    my ($req) = @_;
    my ($path) = $req =~ m{^GET (\S+)};
    return [200, ['X-Backend' => 'yes'], "backend saw $path\n"];
}, record => 'backend.log');

$t->run()->plan(48);

###############################################################################

# response parsing, no nginx involved

my $chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
    . "Set-Cookie: x=1\r\nset-cookie: y=2\r\n\r\n"
    . "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n";

is(http_status($chunked), 200, 'parse: status');
is(http_body($chunked), 'abcde', 'parse: chunked body');
is_deeply([http_headers($chunked, 'SET-COOKIE')], ['x=1', 'y=2'],
    'parse: all values, any case');
is(http_complete($chunked), length $chunked, 'parse: chunked complete');
is(http_complete(substr($chunked, 0, -2)), undef, 'parse: chunked partial');

my $cl = "HTTP/1.1 100 Continue\r\n\r\n"
    . "HTTP/1.0 404 Not Found\r\nContent-Length: 4\r\n\r\nnopeEXTRA";

is(http_status($cl), 404, 'parse: interim response skipped');
is(http_body($cl), 'nope', 'parse: content-length body');
is(http_complete($cl), length($cl) - 5, 'parse: content-length complete');

my $h2 = "HTTP/2 201 \r\ncontent-type: text/plain\r\n\r\nbody";
my $p = http_parse($h2);

is_deeply([$p->{version}, $p->{status}, http_header($h2, 'Content-Type'),
           $p->{body}], ['2', 201, 'text/plain', 'body'], 'parse: curl output');

my $vg = <<'EOF';
==10== Memcheck, a memory error detector
==10== 
==10== Invalid read of size 8
==10==    at 0x1: ngx_http_middleware_handler (ngx_http_middleware_handler.c:10)
==10==    by 0x2: ngx_http_core_access_phase (ngx_http_core_module.c:1)
==10== 
==10== Conditional jump or move depends on uninitialised value(s)
==10==    at 0x3: njs_vm_run (njs_vm.c:1)
==10== 
==10== 16 bytes in 1 blocks are definitely lost in loss record 1 of 2
==10==    at 0x4: malloc (vg_replace_malloc.c:1)
==10==    by 0x5: mw_headers_parse (mw_headers.c:1)
==10== 
==10== LEAK SUMMARY:
==10==    definitely lost: 16 bytes in 1 blocks
EOF

my ($bad, $other) = parse_valgrind_log($vg);

is(scalar @$bad, 2, 'valgrind parser: errors in the module');
is(scalar @$other, 1, 'valgrind parser: errors elsewhere');

# ports

my @ports = map { $t->port($_) } 0 .. 2;
my %uniq = map { $_ => 1 } @ports;

is(scalar keys %uniq, 3, 'ports distinct');
is($t->port(1), $ports[1], 'port stable');

# HTTP/1.1 over a raw socket

my $r = $t->http_get('/ok');

is(http_status($r), 200, 'http_get status');
is(http_body($r), "ok\n", 'http_get body');
is(http_header($r, 'content-type'), 'text/plain', 'header by any case');
is_deeply([http_headers($r, 'Set-Cookie')], ['a=1', 'b=2'], 'set-cookie');

$r = $t->http_get('/js', headers => ['X-Test' => 1]);
is(http_body($r), "hello from njs\n", 'js_content');

$r = $t->http_get('/chunked');
is(http_header($r, 'Transfer-Encoding'), 'chunked', 'chunked response');
is(http_body($r), 'abcdef', 'chunked body');

$r = $t->http("GET /ok HTTP/1.0\r\n\r\n");
like($r, qr{^HTTP/1\.1 200 }, 'raw http/1.0 request');

# start mode: the request in two parts, then an abort

my $s = $t->http("GET /js HTTP/1.1\r\n", start => 1);
ok($s, 'start mode returns the socket');
print $s "Host: localhost\r\nConnection: close\r\n\r\n";
is(http_body($t->http_end($s)), "hello from njs\n", 'http_end');

$s = $t->http("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n", start => 1);
$t->abort($s);
is(http_status($t->http_get('/ok')), 200, 'alive after an aborted request');

# read timeout

my $t0 = time();
$r = $t->http("GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout => 0.5);
ok(time() - $t0 < $t->scaled(5), 'read timeout');
is(http_status($r), 200, 'keepalive response kept after the timeout');

# keepalive

my @ka = $t->http_keepalive(['/ok', '/slow']);

is(scalar @ka, 2, 'keepalive: two responses');
is(http_status($ka[1]{response}), 200, 'keepalive: second response');
ok($ka[1]{time} >= 0.35 && $ka[0]{time} < $ka[1]{time},
   'keepalive: times');

my @kb = $t->http_keepalive(['/ok', '/ok']);
is(http_header($kb[0]{response}, 'X-Conn'),
   http_header($kb[1]{response}, 'X-Conn'), 'keepalive: one connection');

# concurrent requests

my @times;
$t0 = time();
my @rs = $t->http_concurrent([('/slow') x 4], times => \@times);
my $elapsed = time() - $t0;

is(scalar(grep { (http_status($_) // 0) == 200 } @rs), 4,
   'concurrent: all answered');
ok($t->valgrind || $elapsed < 1.4,
   'concurrent: in parallel');
is(scalar(grep { $_ >= 0.35 } @times), 4, 'concurrent: times');

# HTTP/2 through curl

$r = $t->http2_get('/h2', port => $t->port(1));

is(http_parse($r)->{version}, '2', 'http2: version');
is(http_status($r), 200, 'http2: status');
is(http_header($r, 'X-H2'), 'yes', 'http2: header');
is(http_body($r), "h2 ok\n", 'http2: body');

# helper backend behind proxy_pass

$r = $t->http_get('/proxy/x');
is(http_body($r), "backend saw /proxy/x\n", 'http_daemon: response');

my @req = $t->wait_for_requests('backend.log', 1);
like($req[0], qr/^X-From: nginx\r$/m, 'http_daemon: request recorded');

# logs

$t->http_get('/marker?n=42');
like($t->wait_for_log(qr/harness-marker 42/, 5), qr/\[error\]/,
     'wait_for_log');
is($t->wait_for_log(qr/never logged/, 0.2), undef, 'wait_for_log timeout');

# nginx -t

my ($rc, $out) = $t->test_config('bad.conf');

isnt($rc, 0, 'test_config: bad config fails');
like($out, qr/unknown directive "no_such_directive"/, 'test_config: output');

($rc, $out) = $t->test_config();
is($rc, 0, 'test_config: good config');

# reload and stop

ok($t->reload(), 'reload');
is(http_status($t->http_get('/ok')), 200, 'after reload');

$t->stop();

ok(!defined $t->pid, 'stopped');
$t->no_alerts_ok();

###############################################################################
