#!/usr/bin/perl

# Request headers that the module rebuilds (client copies of internal names
# stripped, NextResponse.next() overrides) are seen by nginx exactly as if
# the client had sent them: repeated Cookie and X-Forwarded-For lines stay
# together for $http_cookie, $cookie_NAME and $http_x_forwarded_for (nginx
# 1.23.0+ links them by ->next, older versions keep arrays), and the
# middleware sees every Cookie line of the client.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

# raw decisions (docs/PROTOCOL.md): no runtime involved, only the module

$t->write_file('raw.js', <<'EOF');
function handle(r) {
    var p = r.uri, seen = r.headersIn.Cookie || '';

    if (p === '/override') {
        r.return(200, 'MW1 200\nx-middleware-next:1\n'
            + 'x-middleware-override-headers:host,cookie,x-forwarded-for\n'
            + 'x-middleware-request-host:localhost\n'
            + 'x-middleware-request-cookie:a=1\n'
            + 'x-middleware-request-cookie:b=2\n'
            + 'x-middleware-request-x-forwarded-for:10.0.0.1\n'
            + 'x-middleware-request-x-forwarded-for:10.0.0.2\n\n');
        return;
    }

    r.return(200, 'MW1 200\nx-middleware-next:1\nx-seen-cookie:'
                  + seen + '\n\n');
}
export default { handle };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import raw from %%TESTDIR%%/raw.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        middleware @raw;

        location / {
            return 200 "cookie=[$http_cookie] a=[$cookie_a] b=[$cookie_b] xff=[$http_x_forwarded_for] pxff=[$proxy_add_x_forwarded_for] ua=[$http_user_agent]\n";
        }

        location @raw {
            js_content raw.handle;
        }
    }
}
EOF

$t->run();

my $want = 'cookie=[a=1; b=2] a=[1] b=[2] xff=[10.0.0.1, 10.0.0.2] '
         . 'pxff=[10.0.0.1, 10.0.0.2, 127.0.0.1] ua=[t/1]';

my @client = ('User-Agent' => 't/1', Cookie => 'a=1', Cookie => 'b=2',
              'X-Forwarded-For' => '10.0.0.1',
              'X-Forwarded-For' => '10.0.0.2');

# nothing rebuilt: the reference, nginx's own parse

my $r = $t->http_get('/plain', headers => \@client);
is(status($r), 200, 'as sent: 200');
is(body($r), "$want\n", 'as sent: nginx sees every line');
# njs 0.7.9 joins the lines with ";", 0.8+ with "; " (1.0: one after the
# last line too)
like(header($r, 'x-seen-cookie'), qr/^a=1; ?b=2(; ?)?$/, 'as sent: the middleware too');

# a client copy of an internal name: the list is rebuilt without it

$r = $t->http_get('/plain',
                  headers => [@client, 'X-Middleware-Next' => '1']);
is(status($r), 200, 'stripped: 200');
is(body($r), "$want\n", 'stripped: the same headers as sent');
like(header($r, 'x-seen-cookie'), qr/^a=1; ?b=2(; ?)?$/,
     'stripped: the middleware sees both cookie lines');
like($t->error_log(), qr/removed client request header "X-Middleware-Next"/,
     'stripped: logged');

# the override sets two lines of each

$r = $t->http_get('/override',
                  headers => ['User-Agent' => 't/1', Cookie => 'z=9']);
is(status($r), 200, 'override: 200');
is(body($r), "cookie=[a=1; b=2] a=[1] b=[2] xff=[10.0.0.1, 10.0.0.2] "
             . "pxff=[10.0.0.1, 10.0.0.2, 127.0.0.1] ua=[]\n",
   'override: nginx sees the new lines, not the old ones');

$t->stop();
$t->no_alerts_ok();

done_testing();
