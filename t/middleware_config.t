#!/usr/bin/perl

# nginx -t: clear errors for a missing njs module, a missing or empty named
# location, a malformed "middleware" argument.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx;

my $t = Mw::Nginx->new();

my $js = <<'EOF';
function handle(r) { r.return(200, 'MW1 200\nx-middleware-next:1\n\n'); }
export default { handle };
EOF

$t->write_file('mw.js', $js);

sub conf {
    my ($globals, $server) = @_;

    my $import = $globals =~ /TEST_GLOBALS|js_module/
        ? 'js_import mw from %%TESTDIR%%/mw.js;' : '';

    # it has js_path, unknown without njs
    my $http = $import ? '%%TEST_GLOBALS_HTTP%%' : '';

    $t->write_file_expand('nginx.conf', <<EOF);
$globals

events {
}

http {
    $http
    $import

    server {
        listen 127.0.0.1:%%PORT_0%%;
$server
    }
}
EOF

    return $t->test_config();
}

my $module = $ENV{TEST_NGINX_MODULE};
my $njs = Mw::Nginx->njs_module();
my $d = $t->testdir();
my $base = "pid $d/nginx.pid;\nerror_log $d/error.log;\n";


my ($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        location / { middleware @mw; return 204; }
        location @mw { js_content mw.handle; }
EOF
is($rc, 0, 'valid configuration passes') or diag($out);

($rc, $out) = conf($base . "load_module $module;", <<'EOF');
        location / { middleware @mw; return 204; }
        location @mw { return 200; }
EOF
isnt($rc, 0, 'without the njs module: fails');
like($out, qr/requires the njs module/, 'without the njs module: says so');

($rc, $out) = conf($base . "load_module $module;\nload_module $njs;", <<'EOF');
        location / { middleware @mw; return 204; }
        location @mw { js_content mw.handle; }
EOF
isnt($rc, 0, 'njs loaded after us: fails');
like($out, qr/ngx_http_js_module to be loaded before/,
     'njs loaded after us: says so');

($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        location / { middleware @nope; return 204; }
        location @mw { js_content mw.handle; }
EOF
isnt($rc, 0, 'missing named location: fails');
like($out, qr/middleware location "\@nope" not found in server/,
     'missing named location: names it');

($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        location / { middleware @mw; return 204; }
        location @mw { }
EOF
isnt($rc, 0, 'named location without content handler: fails');
like($out, qr/middleware location "\@mw" has no content handler/,
     'named location without content handler: says so');

($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        location / { middleware mw; return 204; }
EOF
isnt($rc, 0, 'not a named location: fails');
like($out, qr/invalid middleware location "mw"/, 'not a named location: says so');

($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        middleware @mw;
        location / { middleware off; return 204; }
        location /a { return 204; }
        location @mw { js_content mw.handle; }
EOF
is($rc, 0, 'inherited from server, "off" in a location: passes') or diag($out);

($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        middleware_tasks_max 0;
        location / { middleware @mw; return 204; }
        location @mw { js_content mw.handle; }
EOF
isnt($rc, 0, 'middleware_tasks_max 0: fails');
like($out, qr/"middleware_tasks_max" must be at least 1/,
     'middleware_tasks_max 0: says so');

($rc, $out) = conf("%%TEST_GLOBALS%%", <<'EOF');
        middleware_tasks_max 10000;
        location / { middleware @mw; return 204; }
        location @mw { js_content mw.handle; }
EOF
is($rc, 0, 'middleware_tasks_max 10000: passes') or diag($out);

# middleware_sink: its location, its parameters

for my $case (
    [ 'middleware_sink @events uri=/in batch=5 flush=2s buffer=64k;',
      'location @events { proxy_pass http://127.0.0.1:9; }', undef, 'a valid sink' ],
    [ 'middleware_sink @nope;', '',
      qr/middleware_sink location "\@nope" not found in server/,
      'missing sink location' ],
    [ 'middleware_sink @events;', 'location @events { }',
      qr/middleware_sink location "\@events" has no content handler/,
      'sink location without content handler' ],
    [ 'middleware_sink events;', '',
      qr/invalid middleware_sink location "events"/, 'not a named location' ],
    [ 'middleware_sink @events batch=0;', 'location @events { return 204; }',
      qr/invalid middleware_sink parameter "batch=0"/, 'batch=0' ],
    [ 'middleware_sink @events buffer=10;', 'location @events { return 204; }',
      qr/invalid middleware_sink buffer "10": at least 1k/, 'tiny buffer' ],
    [ 'middleware_sink @events uri=x;', 'location @events { return 204; }',
      qr/invalid middleware_sink parameter "uri=x"/, 'relative uri' ],
    [ "middleware_sink \@events;\n        middleware_sink \@events;",
      'location @events { return 204; }',
      qr/"middleware_sink" directive is duplicate/, 'twice in a server' ])
{
    my ($directive, $location, $error, $name) = @$case;

    ($rc, $out) = conf("%%TEST_GLOBALS%%", <<EOF);
        $directive
        location / { middleware \@mw; return 204; }
        location \@mw { js_content mw.handle; }
        $location
EOF

    if (!defined $error) {
        is($rc, 0, "$name: passes") or diag($out);
        next;
    }

    isnt($rc, 0, "$name: fails");
    like($out, $error, "$name: says so");
}

done_testing();
