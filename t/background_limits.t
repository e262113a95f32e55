#!/usr/bin/perl

# Every detached request is bounded: an undecided one (decision timeout,
# client gone) falls under middleware_background_timeout, the cap and the
# counters, and a graceful quit finishes within the time limit even when
# it runs a timer chain; middleware_tasks_max caps waitUntil per request.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';

function tick() {
    setTimeout(tick, 50);
}

function middleware(request, event) {
    var p = request.nextUrl.pathname, i, msg = '', n = 0;

    if (p === '/forever' || p === '/gone') {
        /* never decides, and never lets njs finish either */
        tick();
        return new Promise(function () {});
    }

    if (p === '/many') {
        for (i = 0; i < 20; i++) {
            try {
                event.waitUntil(Promise.resolve(i));
                n++;

            } catch (e) {
                msg = msg || e.message;
            }
        }

        var res = server.NextResponse.next();
        res.headers.set('x-accepted', String(n));
        res.headers.set('x-refused', msg);
        return res;
    }

    if (p === '/many-uncaught') {
        for (i = 0; i < 20; i++) {
            event.waitUntil(Promise.resolve(i));
        }
    }

    return server.NextResponse.next();
}

export default server.serve(middleware);
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 256;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;

    middleware_background_max 2;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        middleware @mw;
        middleware_timeout 300ms;
        middleware_background_timeout 1s;
        middleware_tasks_max 5;

        location / {
            return 200 "ok\n";
        }

        location = /gone {
            middleware_timeout 30s;
            return 200 "ok\n";
        }

        location = /metrics {
            middleware off;
            middleware_status;
        }

        location @mw {
            js_content mw.handle;
        }
    }
}
EOF

$t->run();

sub metric {
    my ($name) = @_;
    my $m = body($t->http_get('/metrics')) // '';
    my ($v) = $m =~ /^\Q$name\E (\d+)$/m;
    return $v // 0;
}

my $bg = 'nginx_middleware_background_total';

# --- middleware_tasks_max -----------------------------------------------------

my $r = $t->http_get('/many');
is(status($r), 200, 'tasks over the cap: the response is not affected');
is(header($r, 'x-accepted'), 5, 'waitUntil accepts middleware_tasks_max tasks');
is(header($r, 'x-refused'),
   'waitUntil: more than 5 tasks for one request (middleware_tasks_max)',
   'then throws with a clear message');
ok($t->wait_for(sub {
       metric('nginx_middleware_tasks_total{state="refused"}') == 15 }, 5),
   'refused tasks counted');
is(metric('nginx_middleware_tasks_total{state="registered"}'), 5,
   'only the accepted ones are registered');

$r = $t->http_get('/many-uncaught');
is(status($r), 500, 'an uncaught refusal is an exception of the middleware');
ok($t->wait_for_log(qr/waitUntil: more than 5 tasks/, 5), 'and logged');

# --- undecided after the decision timeout -------------------------------------

my $undecided = metric("${bg}{state=\"undecided\"}");
my $cancelled = metric("${bg}{state=\"cancelled\"}");

my $t0 = time();
$r = $t->http_get('/forever');
is(status($r), 504, 'no decision in time: 504');
is(metric("${bg}{state=\"undecided\"}") - $undecided, 1,
   'the undecided detached request is counted');
is(metric('nginx_middleware_background_in_flight'), 1,
   'and in flight');

ok($t->wait_for(sub {
       metric('nginx_middleware_background_in_flight') == 0 }, 5),
   'it ends');
cmp_ok(time() - $t0, '<', 3, 'within middleware_timeout + background timeout');
is(metric("${bg}{state=\"cancelled\"}") - $cancelled, 1, 'counted cancelled');
ok($t->wait_for_log(qr/\[warn\].*undecided detached request of request "\w+" cancelled by middleware_background_timeout/, 5),
   'logged with the request id');

# --- the cap applies to undecided ones too --------------------------------------

my $shed = metric("${bg}{state=\"shed\"}");
my @r = $t->parallel(map { ['GET /forever HTTP/1.0' . "\r\n\r\n"] } 1 .. 3);
is(scalar(grep { status($_) == 504 } @r), 3, 'three undecided: 504 each');
is(metric("${bg}{state=\"shed\"}") - $shed, 1,
   'over middleware_background_max 2: one is cancelled at once');
ok($t->wait_for_log(qr/background queue full.*undecided detached request/, 5),
   'and logged');
ok($t->wait_for(sub {
       metric('nginx_middleware_background_in_flight') == 0 }, 5),
   'the two queued ones end in time');

# --- client gone before the decision ------------------------------------------

$undecided = metric("${bg}{state=\"undecided\"}");
$t0 = time();
my $s = $t->http_start("GET /gone HTTP/1.1\r\nHost: localhost\r\n\r\n");
sleep 0.2;
close $s;
ok($t->wait_for(sub {
       metric("${bg}{state=\"undecided\"}") - $undecided == 1 }, 5),
   'client gone: the undecided detached request is counted');
ok($t->wait_for(sub {
       metric('nginx_middleware_background_in_flight') == 0 }, 5),
   'client gone: it ends');
cmp_ok(time() - $t0, '<', 3, 'client gone: within the background time limit');
like($t->error_log(), qr/client request ended before the decision/,
     'client gone: logged');

# --- graceful quit finishes within middleware_background_timeout ----------------

$s = $t->http_start("GET /forever HTTP/1.1\r\nHost: localhost\r\n\r\n");
sleep 0.1;

$t0 = time();
ok($t->stop('QUIT', 10), 'graceful quit with undecided timer chains: exits');
my $took = time() - $t0;
cmp_ok($took, '<', 3, sprintf('within the time limit (%.1f s)', $took));
close $s;

$t->no_alerts_ok();

done_testing();
