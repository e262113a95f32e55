#!/usr/bin/perl

# Stress, bounded: 300 clients that abort at random moments while the
# middleware awaits a slow fetch, then 100 middlewares that never decide;
# connections, in-flight work and counters come back to their baseline, no
# alert.  Loopback only; about 20 s.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status body);

my $t = Mw::Nginx->new();

my $N = $ENV{STRESS_ABORTS} || 300;
my $U = $ENV{STRESS_UNDECIDED} || 100;

$t->write_file_expand('mw.js', <<'EOF2');
import server from 'next/server.js';

function tick() { setTimeout(tick, 100); }

async function middleware(request, event) {
    if (request.nextUrl.pathname === '/forever') {
        tick();
        return new Promise(function () {});
    }

    await ngx.fetch('http://127.0.0.1:%%PORT_1%%/slow');
    return server.NextResponse.next();
}

export default server.serve(middleware);
EOF2

$t->write_file('sink.js', <<'EOF2');
function slow(r) {
    setTimeout(function () { r.return(200, 'ok'); }, 300);
}
export default { slow };
EOF2

$t->write_file_expand('nginx.conf', <<'EOF2');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 2048;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import sink from %%TESTDIR%%/sink.js;

    middleware_background_max 4096;

    server {
        listen 127.0.0.1:%%PORT_0%% backlog=1024;

        middleware @mw;
        middleware_timeout 500ms;
        middleware_background_timeout 1s;

        location / {
            return 200 "ok\n";
        }

        location = /slow-decision {
            middleware_timeout 5s;
            return 200 "ok\n";
        }

        location = /metrics {
            middleware off;
            middleware_status;
        }

        location = /stub_status {
            middleware off;
            stub_status;
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
EOF2

$t->run();

sub metric {
    my ($name) = @_;
    my $m = body($t->http_get('/metrics')) // '';
    my ($v) = $m =~ /^\Q$name\E (\d+)$/m;
    return $v // 0;
}

my $base = $t->baseline_connections();
my $t0 = time();

# --- random aborts while the middleware awaits its fetch ---------------------

my $aborts = metric('nginx_middleware_client_aborts_total');
my @open;

srand(11);

for my $i (1 .. $N) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port(0))
        or next;
    print $s "GET /slow-decision?$i HTTP/1.1\r\nHost: localhost\r\n\r\n";
    push @open, [ $s, time() + rand(0.25) ];

    # close the ones whose moment has come
    @open = grep { $_->[1] > time() ? 1 : do { close $_->[0]; 0 } } @open;
    sleep 0.002;
}

sleep 0.3;
close $_->[0] for @open;

$t->wait_for(sub {
    metric('nginx_middleware_client_aborts_total') - $aborts >= $N * 0.5 }, 20);
my $counted = metric('nginx_middleware_client_aborts_total') - $aborts;
ok($counted >= $N * 0.5 && $counted <= $N,
   "$N random aborts: $counted before the decision, counted");
ok($t->wait_for(sub {
       metric('nginx_middleware_background_in_flight') == 0 }, 20),
   'aborts: no detached request left');
ok($t->wait_for(sub { $t->baseline_connections() <= $base }, 20),
   'aborts: connections back to the baseline');

# --- undecided middlewares after the timeout -------------------------------

my $undecided = metric('nginx_middleware_background_total{state="undecided"}');
my @r = $t->parallel(map { ['GET /forever HTTP/1.0' . "\r\n\r\n",
                             timeout => 10] } 1 .. $U);
is(scalar(grep { (status($_) // 0) == 504 } @r), $U, "$U undecided: 504 each");
ok($t->wait_for(sub {
       metric('nginx_middleware_background_total{state="undecided"}')
       - $undecided == $U }, 10),
   'undecided: each one queued and counted');
ok($t->wait_for(sub {
       metric('nginx_middleware_background_in_flight') == 0 }, 10),
   'undecided: all ended by middleware_background_timeout');
ok($t->wait_for(sub { $t->baseline_connections() <= $base }, 10),
   'undecided: connections back to the baseline');

my $took = time() - $t0;
diag(sprintf('aborts + undecided: %.1f s', $took));

$t0 = time();
ok($t->stop('QUIT', 15), 'graceful quit');
cmp_ok(time() - $t0, '<', 5, 'in time');
$t->no_alerts_ok();

done_testing();
