#!/usr/bin/perl

# Stress, bounded: reloads under load, one telemetry event per request,
# every event counted at the collector by request id: no event of a
# completed request is lost.  Twice: with event.waitUntil(ngx.fetch())
# (at this load, below the knee of bench/RESULTS.md: the worker is never
# over middleware_background_max), and with sink.send() to a
# middleware_sink (batched; a reload sends each old worker's buffer).
# Loopback only; about 40 s.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $C = $ENV{STRESS_CLIENTS} || 8;        # concurrent keepalive clients
my $M = $ENV{STRESS_REQUESTS} || 150;     # requests per client
my $R = $ENV{STRESS_RELOADS} || 5;

run_mode($_) for qw(fetch sink);

done_testing();


sub mode_subst {
    my ($mode, $text) = @_;
    my $sink = $mode eq 'sink';
    my $conf = $sink ? 'middleware_sink @events uri=/collect flush=200ms;' : '';

    $text =~ s{%%SINK%%}{$sink ? 'true' : 'false'}ge;
    $text =~ s{%%SINK_CONF%%}{$conf}g;

    return $text;
}


sub run_mode {
my ($mode) = @_;

my $t = Mw::Nginx->new();


$t->write_file_expand('mw.js', mode_subst($mode, <<'EOF2'));
import server from 'next/server.js';

function middleware(request, event) {
    var id = request.headers.get('x-req') || 'none';

    if (%%SINK%%) {
        server.sink.send(id);

    } else {
        event.waitUntil(ngx.fetch('http://127.0.0.1:%%PORT_1%%/collect?id='
                                  + id, { method: 'POST', body: id }));
    }

    return server.NextResponse.next();
}

export default server.serve(middleware);
EOF2

$t->write_file('sink.js', <<'EOF2');
function collect(r) {
    var lines = r.args.id ? [r.args.id] : (r.requestText || '').split('\n');

    for (var i = 0; i < lines.length; i++) {
        if (lines[i]) {
            ngx.log(ngx.WARN, 'EVENT ' + lines[i]);
        }
    }

    r.return(204);
}
export default { collect };
EOF2

$t->write_file_expand('nginx.conf', mode_subst($mode, <<'EOF2'));
%%TEST_GLOBALS%%

worker_processes 2;

events {
    worker_connections 1024;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import sink from %%TESTDIR%%/sink.js;

    middleware_background_max 512;

    server {
        listen 127.0.0.1:%%PORT_0%% backlog=1024;

        middleware @mw;
        %%SINK_CONF%%

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

        location @events {
            proxy_pass http://127.0.0.1:%%PORT_1%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location / {
            js_content sink.collect;
        }
    }
}
EOF2

$t->run();

my $port = $t->port(0);
my $d = $t->testdir();
my $t0 = time();

my @pids;

for my $c (1 .. $C) {
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        my $ok = 0;
        my $s;
        open my $fh, '>', "$d/client.$c" or _exit(1);

        for my $i (1 .. $M) {
            $s ||= IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
            next unless $s;
            $s->autoflush(1);
            print $s "GET /p HTTP/1.1\r\nHost: localhost\r\nX-Req: c$c-$i\r\n\r\n";
            my $r = $t->read_response($s, 5);

            if ((status($r) // 0) == 200) {
                print $fh "c$c-$i\n";
            }

            # a reload closes idle keepalive connections: reconnect
            if (!defined status($r) || ($r =~ /^Connection: close/mi)) {
                close $s;
                undef $s;
            }
        }

        close $fh;
        _exit(0);
    }

    push @pids, $pid;
}

for (1 .. $R) {
    sleep 0.4;
    $t->reload();
}

waitpid($_, 0) for @pids;

my %done;
for my $c (1 .. $C) {
    $done{$_} = 1 for split /\n/, $t->read_file("client.$c");
}

my $completed = keys %done;
cmp_ok($completed, '>=', $C * $M * 0.95,
       "$mode: $completed of " . ($C * $M) . " requests completed across $R reloads");

# every event of a completed request reaches the sink

ok($t->wait_for(sub {
       my %seen = map { $_ => 1 } $t->error_log() =~ /EVENT (c\d+-\d+)/g;
       !grep { !$seen{$_} } keys %done }, 30),
   "$mode: every completed request has its event at the collector");

my %seen = map { $_ => 1 } $t->error_log() =~ /EVENT (c\d+-\d+)/g;
my @lost = grep { !$seen{$_} } keys %done;
is(scalar @lost, 0, "$mode: no event lost") or diag("lost: @lost[0 .. ($#lost < 9 ? $#lost : 9)]");
unlike($t->error_log(), qr/background queue full|middleware_sink .* dropped|not delivered/, "$mode: nothing shed or dropped");

diag(sprintf("$mode: %d requests, %d reloads, %.1f s", $completed, $R, time() - $t0));

ok($t->stop('QUIT', 30), "$mode: graceful quit");
$t->no_alerts_ok();

}
