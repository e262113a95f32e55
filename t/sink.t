#!/usr/bin/perl

# middleware_sink: sink.send() lines batched by the module and POSTed to
# the sink's location (proxy_pass and js_content), flushed by count and
# by time, bounded (a full buffer drops, logged and counted), validated,
# counted per line, and sent on a graceful quit.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use Mw::Nginx qw(status body header);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';

function middleware(request, event) {
    var p = request.nextUrl.pathname, q = request.nextUrl.searchParams;

    if (p === '/obj') {
        server.sink.send({ path: p, n: Number(q.get('n')) });

    } else if (p === '/many') {
        for (var i = 0; i < Number(q.get('n')); i++) {
            server.sink.send('many ' + q.get('tag') + ' ' + i
                             + (q.get('pad') ? ' ' + 'x'.repeat(400) : ''));
        }

    } else if (p === '/big') {
        server.sink.send('x'.repeat(Number(q.get('n'))));

    } else if (p === '/crlf') {
        try {
            server.sink.send('a\r\nX-Injected: 1');

        } catch (e) {
            return server.NextResponse.json({ error: e.message });
        }

    } else if (p === '/after') {
        server.after(function (outcome) {
            server.sink.send('after ' + outcome.status);
        });

    } else {
        server.sink.send('line ' + p);
    }

    return server.NextResponse.next();
}

var served = server.serve(middleware);

/* past the runtime: a line break must be refused by the module too */
function raw(r) {
    r.subrequest('/.middleware/sink', { method: 'POST', body: 'raw\nX-Injected: 1',
                                        detached: true });
    served.handle(r);
}

export default { handle: function (r) { served.handle(r); }, raw: raw };
EOF

$t->write_file('collector.js', <<'EOF');
function collect(r) {
    var body = r.requestText || '';
    var lines = body.split('\n');

    ngx.log(ngx.WARN, 'BATCH events=' + r.headersIn['X-Middleware-Events']
            + ' type=' + r.headersIn['Content-Type']
            + ' uri=' + r.uri + ' lines=' + (lines.length - 1)
            + ' last=' + (body[body.length - 1] === '\n'));

    for (var i = 0; i < lines.length - 1; i++) {
        ngx.log(ngx.WARN, 'EVENT ' + lines[i]);
    }

    r.return(r.uri === '/fail' ? 500 : 200, 'ok');
}
export default { collect };
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
    js_import collector from %%TESTDIR%%/collector.js;

    client_body_buffer_size 64k;

    # lines flushed by count (batch=3) or after 300 ms, through proxy_pass
    server {
        listen 127.0.0.1:%%PORT_0%%;

        middleware_sink @events batch=3 flush=300ms buffer=2k uri=/ingest;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location = /metrics {
            middleware_status;
        }

        location /raw {
            middleware @raw;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }

        location @raw {
            js_content mw.raw;
        }

        location @events {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }
    }

    # a sink whose collector answers 500
    server {
        listen 127.0.0.1:%%PORT_1%%;

        middleware_sink @events flush=100ms uri=/fail;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }

        location @events {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }
    }

    # the collector
    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            js_content collector.collect;
        }
    }

    # the batch written by njs itself, no network: what a quit sends
    server {
        listen 127.0.0.1:%%PORT_4%%;

        middleware_sink @events flush=5s uri=/local;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }

        location @events {
            js_content collector.collect;
        }
    }

    # no sink here: sink.send() is dropped, logged, counted
    server {
        listen 127.0.0.1:%%PORT_3%%;

        location / {
            middleware @mw;
            return 200 "ok\n";
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
    my $m = body($t->http_get('/metrics'));
    my ($v) = $m =~ /^nginx_middleware_\Q$name\E (\d+)$/m;
    return $v // -1;
}

sub events { my @e = $t->error_log() =~ /js: EVENT (.*)$/mg; @e }

# flush by count: 3 requests, one batch of 3 at once (well before 300 ms)

my $t0 = time();
is(status($t->http_get("/a$_")), 200, "request $_ answered") for 1 .. 3;
ok($t->wait_for_log(qr/BATCH events=3 type=application\/x-ndjson uri=\/ingest lines=3 last=true/, 5),
   'three lines, one POST of three lines to uri=');
# the sink logs BATCH before its EVENT lines: wait for the last one too
# (a read between two of nginx's writes saw none of them under load)
$t->wait_for_log(qr/js: EVENT line \/a3$/m, 5);
is_deeply([events()], ['line /a1', 'line /a2', 'line /a3'],
          'the lines arrive in order, as sent');

# flush by time: one line, sent after flush=300ms

$t0 = time();
$t->http_get('/b1');
ok($t->wait_for_log(qr/EVENT line \/b1/, 5), 'a single line is sent');
cmp_ok(time() - $t0, '>=', 0.25, 'after the flush interval, not at once');

# JSON values are sent as JSON

$t->http_get('/obj?n=7');
ok($t->wait_for_log(qr/EVENT \{"path":"\/obj","n":7\}/, 5),
   'a non-string event is sent as JSON');

# one request, many lines: batches in order, each line once

$t->http_get('/many?tag=m&n=10');
ok($t->wait_for(sub { scalar(grep { /^many m / } events()) == 10 }, 5),
   'ten lines of one request all arrive');
is_deeply([grep { /^many m / } events()], [map { "many m $_" } 0 .. 9],
          'in order');

# events from after(outcome), once the response is done

$t->http_get('/after');
ok($t->wait_for_log(qr/EVENT after 200/, 5), 'after() can send');

# CR/LF: the runtime refuses, nothing reaches the collector

like(body($t->http_get('/crlf')), qr/one line/, 'CR/LF refused by send()');

# too large for the buffer (2k): dropped, logged

$t->http_get('/big?n=3000');
ok($t->wait_for_log(qr/\[error\].*middleware_sink "\@events": event of request "\w+" dropped: 3000 bytes, it must be 1 to 2047/, 5),
   'an event larger than the buffer is dropped with a clear line');

sleep 0.5;
my $before = scalar(events());
my $queued = metric('sink_events_total{state="queued"}');
my $delivered = metric('sink_events_total{state="delivered"}');
is($delivered, $queued, "every queued line delivered ($delivered)");
is($delivered, $before, 'as many as the collector logged');
is(metric('sink_waiting'), 0, 'nothing waiting');

# a full buffer: 400-byte lines, 2k buffer; lines beyond it are dropped and
# counted, none is lost silently

my $dropped0 = metric('sink_events_total{state="dropped"}');
$t->http_get('/many?tag=full&n=30&pad=1');
sleep 1;
my $got = scalar(grep { /^many full / } events());
my $dropped = metric('sink_events_total{state="dropped"}') - $dropped0;
ok($got > 0 && $got < 30, "some lines delivered ($got)");
is($got + $dropped, 30, "delivered + dropped = sent ($got + $dropped)")
    or diag($t->error_log());

# the module checks lines too: a line break past the runtime is refused

$t->http_get('/raw');
ok($t->wait_for_log(qr/\[error\].*middleware_sink "\@events": event of request "\w+" dropped: it contains a line break/, 5),
   'a line break is refused by the module, with a clear line');

# a client cannot write into the sink: its request to the URI is ordinary

my $q0 = metric('sink_events_total{state="queued"}');
is(body($t->http("POST /.middleware/sink HTTP/1.1\r\nHost: localhost\r\n"
                 . "Content-Length: 7\r\nConnection: close\r\n\r\nforged!")),
   "ok\n", 'a client POST to /.middleware/sink is an ordinary request');
ok($t->wait_for_log(qr/js: EVENT line \/\.middleware\/sink$/m, 5),
   '... whose middleware sent its own line');
is(metric('sink_events_total{state="queued"}'), $q0 + 1, '... and only that');
unlike($t->error_log(), qr/EVENT forged/, '... not the client\'s body');

# a fast exit of the worker drops its buffered lines, logged and counted

my $d0 = metric('sink_events_total{state="dropped"}');
$t->http_get('/fx', port => $t->port(4));
$t->wait_for(sub { metric('sink_waiting') == 1 }, 5);    # F hands it over
my ($worker) = $t->workers();
ok($worker && kill('TERM', $worker), 'fast exit: the worker is terminated');
$t->http_get('/metrics');    # a signal just before epoll_wait() waits for it
ok($t->wait_for_log(qr/\[warn\].*middleware_sink "\@events": worker exit drops 1 buffered event\(s\)/, 5),
   'fast exit: the dropped line is logged');
ok($t->wait_for(sub { metric('sink_events_total{state="dropped"}') == $d0 + 1 }, 5),
   'fast exit: and counted as dropped');

# no sink in that server

is(status($t->http_get('/nosink', port => $t->port(3))), 200,
   'no sink: the response is unaffected');
ok($t->wait_for_log(qr/\[error\].*sink.send\(\) of request "\w+" without a "middleware_sink" in this server: event dropped/, 5),
   'no sink: logged');

# a collector that fails: logged, counted as failed

$t->http_get('/f1', port => $t->port(1));
ok($t->wait_for_log(qr/\[error\].*middleware_sink "\@events": batch of 1 event\(s\) not delivered \(status 500\)/, 5),
   'a failing collector: logged with the status');
sleep 0.2;
cmp_ok(metric('sink_events_total{state="failed"}'), '>=', 1, 'counted as failed');

# a graceful quit sends what is buffered (flush=5s: the quit waits for it)

$t->http_get('/q1', port => $t->port(4));
sleep 0.2;
unlike($t->error_log(), qr/EVENT line \/q1/, 'quit: the line is buffered');
$t->stop('QUIT');
like($t->error_log(), qr/BATCH events=1 .* uri=\/local .*\n.*EVENT line \/q1/,
     'quit: the buffered line was sent (js_content location)');

$t->no_alerts_ok();

done_testing();
