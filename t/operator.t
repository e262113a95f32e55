#!/usr/bin/perl

# What an operator sees: the middleware_status page is valid Prometheus
# text format (promtool check metrics, from Debian's prometheus package:
# PATH or build/tools/promtool, which ./build.sh test unpacks), and the
# README's JSON access-log format (log_format escape=json with the
# $middleware_* variables) gives one parseable JSON object per request,
# whatever the middleware did.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use JSON::PP;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();
my $d = $t->testdir();

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

function middleware(request, event) {
    var p = request.nextUrl.pathname;

    if (p === '/redirect') {
        return NextResponse.redirect(new server.URL('/there', request.url));
    }
    if (p === '/rewrite') {
        return NextResponse.rewrite(new server.URL('/rewritten', request.url));
    }
    if (p === '/deny') {
        return NextResponse.json({ error: 'no "quotes" \\ here' }, { status: 403 });
    }
    if (/\/throw$/.test(p)) {
        throw new Error('thrown on purpose');
    }
    if (p === '/slow') {
        /* decides after middleware_timeout */
        return new Promise(function (resolve) { setTimeout(resolve, 2000); });
    }
    if (p === '/task') {
        event.waitUntil(Promise.resolve(1));
        event.waitUntil(Promise.reject(new Error('task failed on purpose')));
    }
    return NextResponse.next();
}

export default server.serve(middleware, {
    matcher: ['/((?!skipped).*)']
});
EOF

# the format of the README (section Operating), with a quote and a
# backslash in a header to check the escaping
$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%
    js_import mw from %%TESTDIR%%/mw.js;

    log_format middleware_json escape=json
        '{"time":"$time_iso8601","request_id":"$request_id",'
        '"remote_addr":"$remote_addr","method":"$request_method",'
        '"uri":"$request_uri","status":$status,"bytes":$body_bytes_sent,'
        '"request_time":$request_time,'
        '"middleware_action":"$middleware_action",'
        '"middleware_time":"$middleware_time",'
        '"middleware_tasks":"$middleware_tasks",'
        '"user_agent":"$http_user_agent"}';

    server {
        listen 127.0.0.1:%%PORT_0%%;
        access_log %%TESTDIR%%/json.log middleware_json;

        middleware_timeout 300ms;

        location / {
            middleware @mw;
            return 200 "app $uri\n";
        }

        location /pass/ {
            middleware @mw;
            middleware_on_error pass;
            return 200 "app $uri\n";
        }

        location = /metrics {
            middleware_status;
        }

        location @mw {
            js_content mw.handle;
        }
    }
}
EOF

$t->run();

my @requests = (
    ['/next', 200, 'next'],
    ['/redirect', 307, 'redirect'],
    ['/rewrite', 200, 'rewrite'],
    ['/deny', 403, 'response'],
    ['/throw', 500, 'error'],
    ['/pass/throw', 200, 'error'],
    ['/slow', 504, 'timeout'],
    ['/task', 200, 'next'],
    ['/skipped', 200, ''],
);

for my $q (@requests) {
    my $r = $t->http_get($q->[0], headers => ['User-Agent' => 'ua "q" \\ b']);
    is(status($r), $q->[1], "$q->[0]: $q->[1]");
}

# background work of /task done
$t->wait_for(sub {
    body($t->http_get('/metrics')) =~ /^nginx_middleware_background_total\{state="failed"\} 1$/m
});

my $metrics = body($t->http_get('/metrics'));
$t->write_file('metrics.txt', $metrics);

like($metrics, qr/^nginx_middleware_errors_total\{reason="timeout"\} 1$/m,
     'the page has the counters of this run');

###############################################################################
# promtool

my ($promtool) = grep { -x } ((map { "$_/promtool" } split /:/, $ENV{PATH}),
                              Mw::Nginx->repo() . '/build/tools/promtool');

SKIP: {
    skip('no promtool (Debian prometheus package; ./build.sh test unpacks it'
         . ' into build/tools)', 3) unless $promtool;

    my $out = `'$promtool' check metrics < '$d/metrics.txt' 2>&1`;
    my $rc = $? >> 8;

    # 1: the text does not parse; 3: it parses, with lint problems
    isnt($rc, 1, 'promtool: the middleware_status page parses') or diag($out);

    is($out =~ s/^\s+|\s+$//gr, '', 'promtool: no lint problem') or diag($out);
    is($rc, 0, 'promtool check metrics: clean') or diag($out);
}

###############################################################################
# the JSON access log

$t->wait_for(sub {
    my @l = split /\n/, $t->read_file('json.log');
    @l >= @requests + 2
});

my @lines = grep { !/"uri":"\/metrics"/ } split /\n/, $t->read_file('json.log');
is(scalar(@lines), scalar(@requests), 'one line per request');

for my $i (0 .. $#requests) {
    my $q = $requests[$i];
    my $ev = eval { decode_json($lines[$i]) };
    ok($ev, "$q->[0]: the log line is JSON") or do { diag("$lines[$i]: $@"); next };
    is($ev->{uri}, $q->[0], "$q->[0]: uri");
    is($ev->{status}, $q->[1], "$q->[0]: status, a number");
    is($ev->{middleware_action}, $q->[2], "$q->[0]: middleware_action");
    is($ev->{user_agent}, 'ua "q" \\ b', "$q->[0]: escaped header value");
    if ($q->[2] eq '') {
        is($ev->{middleware_time}, '', "$q->[0]: no middleware_time when skipped");
    } else {
        like($ev->{middleware_time}, qr/^\d+$/, "$q->[0]: middleware_time");
    }
}

my %by = map { my $e = decode_json($_); ($e->{uri} => $e) } @lines;
is($by{'/task'}{middleware_tasks}, '2', 'middleware_tasks counts the waitUntil tasks');
cmp_ok($by{'/slow'}{middleware_time}, '>=', 290, 'the timeout took middleware_timeout');

$t->stop();
$t->no_alerts_ok();

done_testing();
