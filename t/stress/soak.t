#!/usr/bin/perl

# Stress, bounded: a soak of STRESS_SOAK (default 20,000) requests through
# a middleware with one waitUntil task each, RSS of the worker at 10 % and
# at 100 % of the run within 5 %; then one request that tries 10,000
# waitUntil tasks: middleware_tasks_max refuses all but 128, and a second
# such request does not grow the worker's RSS.  Loopback only; about 30 s.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

my $N = $ENV{STRESS_SOAK} || 20000;
my $C = 4;

$t->write_file_expand('mw.js', <<'EOF2');
import server from 'next/server.js';

function middleware(request, event) {
    var i, n = 0;

    if (request.nextUrl.pathname === '/many') {
        for (i = 0; i < 10000; i++) {
            try {
                event.waitUntil(Promise.resolve(i));
                n++;

            } catch (e) {
            }
        }
    } else {
        event.waitUntil(Promise.resolve(1));
    }

    var h = new Headers(request.headers);
    h.set('x-user-id', 'user_1');
    var res = server.NextResponse.next({ request: { headers: h } });
    res.headers.set('x-accepted', String(n));
    return res;
}

export default server.serve(middleware);
EOF2

$t->write_file_expand('nginx.conf', <<'EOF2');
%%TEST_GLOBALS%%

worker_processes 1;
error_log %%TESTDIR%%/error.log warn;

events {
    worker_connections 1024;
}

http {
    %%TEST_GLOBALS_HTTP%%

    access_log off;
    keepalive_requests 1000000;
    js_import mw from %%TESTDIR%%/mw.js;

    server {
        listen 127.0.0.1:%%PORT_0%% backlog=1024;

        middleware @mw;

        location / {
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
EOF2

$t->run();

sub metric {
    my ($name) = @_;
    my $m = body($t->http_get('/metrics')) // '';
    my ($v) = $m =~ /^\Q$name\E (\d+)$/m;
    return $v // 0;
}

sub worker_rss {
    my $master = $t->{pid};
    for my $st (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $st or next;
        my $line = <$fh> // '';
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*?\) \S+ (\d+)/ or next;
        next unless $ppid == $master;
        open my $s, '<', "/proc/$pid/status" or next;
        local $/;
        my ($kb) = <$s> =~ /^VmRSS:\s+(\d+)/m;
        return $kb;
    }
    return undef;
}

my $port = $t->port(0);
my $d = $t->testdir();

sub load {
    my ($n) = @_;
    my @pids;

    for my $c (1 .. $C) {
        my $pid = fork();
        die "fork: $!\n" unless defined $pid;

        if ($pid == 0) {
            my ($ok, $s) = (0);
            for my $i (1 .. int($n / $C)) {
                $s ||= IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
                    or next;
                print $s "GET /p HTTP/1.1\r\nHost: localhost\r\n\r\n";
                my $r = $t->read_response($s, 5);
                $ok++ if (status($r) // 0) == 200;
                undef $s unless defined status($r);
            }
            open my $fh, '>', "$d/ok.$c";
            print $fh $ok;
            close $fh;
            _exit(0);
        }

        push @pids, $pid;
    }

    waitpid($_, 0) for @pids;

    my $ok = 0;
    $ok += $t->read_file("ok.$_") || 0 for 1 .. $C;
    return $ok;
}

my $t0 = time();

my $ok = load($N / 10);
my $rss10 = worker_rss();
$ok += load($N - $N / 10);
my $rss100 = worker_rss();
my $took = time() - $t0;

is($ok, $N, "$N soak requests answered");
ok(defined $rss10 && defined $rss100, 'worker RSS read');
my $growth = $rss10 ? ($rss100 - $rss10) / $rss10 : 1;

# a sanitizer's quarantine or valgrind's heap make RSS meaningless
my $exact = !$ENV{TEST_NGINX_ASAN} && !$ENV{TEST_NGINX_VALGRIND};

SKIP: {
    skip 'RSS under a sanitizer or valgrind', 1 unless $exact;
    cmp_ok(abs($growth), '<', 0.05,
           sprintf('RSS at 10 %% %d kB, at 100 %% %d kB (%+.1f %%)',
                   $rss10 // 0, $rss100 // 0, 100 * $growth));
}
diag(sprintf('soak: %d requests in %.1f s, %.0f req/s', $N, $took, $N / $took));

ok($t->wait_for(sub {
       metric('nginx_middleware_tasks_total{state="fulfilled"}') >= $N }, 10),
   'every task fulfilled');

# --- one request, 10,000 waitUntil attempts ------------------------------------

my $refused = metric('nginx_middleware_tasks_total{state="refused"}');
my $r = $t->http_get('/many');
is(status($r), 200, '10,000 waitUntil attempts: the response is not affected');
is(header($r, 'x-accepted'), 128, 'middleware_tasks_max (128) accepted');
ok($t->wait_for(sub {
       metric('nginx_middleware_tasks_total{state="refused"}') - $refused
       == 10000 - 128 }, 10),
   'the rest refused and counted');
my $rss_many = worker_rss();

# the 10,000 calls and their exceptions live in the request's njs VM,
# freed with it; the worker keeps the pages: a second one costs nothing
$r = $t->http_get('/many');
my $rss_many2 = worker_rss();

SKIP: {
    skip 'RSS under a sanitizer or valgrind', 1 unless $exact;
    cmp_ok($rss_many2, '<', $rss_many * 1.05,
           "RSS after one such request $rss_many kB, after two $rss_many2 kB");
}

$t->stop();
$t->no_alerts_ok();

done_testing();
