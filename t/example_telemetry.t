#!/usr/bin/perl

# examples/telemetry through nginx: the JSON event and the OpenTelemetry
# span carry the real outcome of each request (an upstream's 502 is a 502,
# not the middleware's 200), joined to the response by x-request-id and to
# the caller's trace by traceparent; the OTLP/HTTP JSON payload is decoded
# with the official OTLP definitions (tools/otlp, npm).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use JSON::PP;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();
my $repo = $t->repo();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
import telemetry from 'telemetry.js';

function middleware(request) {
    var p = request.nextUrl.pathname;

    if (p === '/deny') {
        return new Response('no', { status: 403 });
    }

    if (p === '/throw') {
        throw new Error('broken on purpose');
    }

    return server.NextResponse.next();
}

export default server.serve(telemetry.withTelemetry(middleware, {
    server: server,
    collector: 'http://127.0.0.1:%%PORT_1%%/collect',
    otlp: 'http://127.0.0.1:%%PORT_1%%/v1/traces',
    serviceName: 'test-edge'
}));
EOF

$t->write_file('mw_sink.js', <<'EOF');
import server from 'next/server.js';
import telemetry from 'telemetry.js';

export default server.serve(telemetry.withTelemetry(function () {
    return server.NextResponse.next();
}, { server: server, sink: true }));
EOF

$t->write_file_expand('sink.js', <<'EOF');
import fs from 'fs';

function batch(r) {
    r.requestText.split('\n').forEach(function (line) {
        if (line) {
            ngx.log(ngx.WARN, 'SINKED ' + line);
        }
    });

    r.return(204);
}

function collect(r) {
    ngx.log(ngx.WARN, 'RECORD ' + r.requestText);
    r.return(204);
}

function traces(r) {
    fs.writeFileSync('%%TESTDIR%%/otlp/' + r.variables.request_id + '.json',
                     r.requestText);
    r.return(200, '{}');
}

export default { collect, traces, batch };
EOF

mkdir $t->testdir() . '/otlp';

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_path %%REPO%%/examples/telemetry;
    js_import mw from %%TESTDIR%%/mw.js;
    js_import mw_sink from %%TESTDIR%%/mw_sink.js;
    js_import sink from %%TESTDIR%%/sink.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        middleware @mw;

        location / {
            return 200 "ok\n";
        }

        location = /bad {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    # options.sink: the events through the middleware_sink, batched
    server {
        listen 127.0.0.1:%%PORT_3%%;
        server_name localhost;

        middleware @mw;
        middleware_sink @events flush=100ms uri=/batch;

        location / {
            return 200 "ok\n";
        }

        location @mw {
            js_content mw_sink.handle;
        }

        location @events {
            proxy_pass http://127.0.0.1:%%PORT_1%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;

        client_body_buffer_size 64k;

        location = /batch {
            js_content sink.batch;
        }

        location = /collect {
            js_content sink.collect;
        }

        location = /v1/traces {
            js_content sink.traces;
        }
    }
}
EOF

$t->run();

my %id;

for my $p (qw(ok bad deny throw)) {
    my $r = $t->http_get("/$p" eq '/ok' ? '/' : "/$p");
    $id{$p} = header($r, 'x-request-id') // '';
    is(status($r), { ok => 200, bad => 502, deny => 403, throw => 500 }->{$p},
       "$p: status to the client");
}

my $parent = '0af7651916cd43dd8448eb211c80319c';
my $r = $t->http_get('/traced', headers => [
    traceparent => "00-$parent-b7ad6b7169203331-01"]);
$id{traced} = header($r, 'x-request-id');

ok($id{ok} && $id{bad} && $id{deny} && $id{traced},
   'the request id is a response header');

# --- the JSON events ------------------------------------------------------------

$t->wait_for(sub {
    my @n = $t->error_log() =~ /RECORD \{/g;
    @n >= 4;
}, 10);

my %ev;

for ($t->error_log() =~ /RECORD (\{.*\})/g) {
    my $e = decode_json($_);
    $ev{$e->{requestId}} = $e;
}

is($ev{$id{ok}}{status}, 200, 'event: status');
is($ev{$id{ok}}{action}, 'next', 'event: action');
is($ev{$id{ok}}{upstreamStatus}, undef, 'event: no upstream');
is($ev{$id{bad}}{status}, 502, 'event: the real status of a failed upstream');
is($ev{$id{bad}}{decisionStatus}, 200, 'event: the decision said 200');
is($ev{$id{bad}}{upstreamStatus}, 502, 'event: upstream status');
ok(defined $ev{$id{bad}}{upstreamMs}, 'event: upstream time');
is($ev{$id{deny}}{status}, 403, 'event: a direct response');
is($ev{$id{deny}}{action}, 'response', 'event: its action');
ok($ev{$id{ok}}{bytesSent} > 0, 'event: bytes sent');
ok($ev{$id{ok}}{ms} >= 0 && $ev{$id{ok}}{decisionMs} >= 0, 'event: times');

my ($thrown) = grep { $_->{error} } values %ev;
is($thrown && $thrown->{status}, 500, 'event: a throwing middleware');
is($thrown && $thrown->{error}, 'broken on purpose', 'event: its error');

# --- options.sink: the same event, batched by the module --------------------

my @sunk = map { header($t->http_get("/s$_", port => $t->port(3)),
                        'x-request-id') } 1 .. 3;
$t->wait_for(sub { my @n = $t->error_log() =~ /SINKED \{/g; @n >= 3 }, 10);

my %sev = map { my $e = decode_json($_); ($e->{requestId} => $e) }
          $t->error_log() =~ /SINKED (\{.*\})/g;
is(scalar(grep { $sev{$_ // ''} } @sunk), 3,
   'sink: one event per request, by request id');
is($sev{$sunk[0]}{path}, '/s1', 'sink: the path');
is($sev{$sunk[0]}{status}, 200, 'sink: the status from the outcome');

# --- the OTLP spans, decoded with the official definitions -------------------

my $dir = $t->testdir() . '/otlp';

$t->wait_for(sub { my @f = glob "$dir/*.json"; @f >= 5 }, 10);

my @files = glob "$dir/*.json";
is(scalar @files, 5, 'one OTLP request per client request');

SKIP: {
    my $tools = "$repo/tools/otlp";

    if (!-d "$tools/node_modules") {
        system("cd $tools && npm ci --no-audit --no-fund >/dev/null 2>&1");
    }

    skip 'node and @opentelemetry/otlp-transformer (npm ci in tools/otlp) '
         . 'are needed', 17
        unless -d "$tools/node_modules/\@opentelemetry/otlp-transformer"
        && system('node --version >/dev/null 2>&1') == 0;

    my $out = `node $tools/decode.js @files 2>&1`;
    is($?, 0, 'every payload is a valid ExportTraceServiceRequest')
        or diag($out);

    my $all = eval { decode_json($out) } || [];
    my %span;

    for my $req (@$all) {
        my $rs = $req->{resourceSpans}[0];
        my $span = $rs->{scopeSpans}[0]{spans}[0];
        my %a = map { $_->{key} => (values %{ $_->{value} })[0] }
            @{ $span->{attributes} };
        $span->{attr} = \%a;
        $span->{service} = $rs->{resource}{attributes}[0]{value}{stringValue};
        $span{$a{'nginx.request_id'}} = $span;
    }

    my $s = $span{$id{ok}} || {};
    is($s->{service}, 'test-edge', 'span: service.name');
    is($s->{kind}, 2, 'span: SERVER');
    is($s->{name}, 'GET', 'span: name');
    is($s->{traceId}, $id{ok}, 'span: trace id is the request id');
    is($s->{attr}{'http.response.status_code'}, '200', 'span: status code');
    is($s->{attr}{'url.path'}, '/', 'span: path');
    is($s->{status}, undef, 'span: a 200 is not an error');
    ok($s->{endTimeUnixNano} >= $s->{startTimeUnixNano}, 'span: times');

    $s = $span{$id{bad}} || {};
    is($s->{attr}{'http.response.status_code'}, '502',
       'span: the real status of a failed upstream');
    is($s->{attr}{'nginx.upstream.status'}, '502', 'span: upstream status');
    is($s->{status}{code}, 2, 'span: a 502 is an error');

    $s = $span{$id{deny}} || {};
    is($s->{attr}{'middleware.action'}, 'response', 'span: action');
    is($s->{status}, undef, 'span: a 403 is not a server error');

    $s = $span{$id{traced}} || {};
    is($s->{traceId}, $parent, 'span: the caller\'s trace id');
    is($s->{parentSpanId}, 'b7ad6b7169203331', 'span: the caller\'s span');

    my ($err) = grep { ($_->{status}{message} // '') eq 'broken on purpose' }
        values %span;
    ok($err, 'span: a throwing middleware is an error with its message');
}

ok($t->stop(), 'nginx stopped');
$t->no_alerts_ok();

done_testing();
