#!/usr/bin/perl

# ./build.sh install / uninstall: the package's layout under DESTDIR and
# PREFIX; an nginx configured like Debian's stock nginx.conf (njs, then
# modules-enabled/*.conf, then sites-enabled/*) runs the example site
# (examples/site) from the installed files only, and its JSON access log
# parses; uninstall removes every installed file.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use File::Find;
use JSON::PP;
use Mw::Nginx qw(status header body);

my $module = $ENV{TEST_NGINX_MODULE};
plan(skip_all => 'TEST_NGINX_MODULE is not set') unless $module && -f $module;

my $t = Mw::Nginx->new(no_module => 1);
my $d = $t->testdir();
my $repo = Mw::Nginx->repo();

# build.sh COMMAND with the environment given: (exit code, output)
sub build_sh {
    my ($cmd, %env) = @_;
    my $sh = join(' ', map { "$_='$env{$_}'" } sort keys %env)
        . " $repo/build.sh $cmd";
    my $out = `$sh 2>&1`;
    return ($? >> 8, $out);
}

sub files_under {
    my ($top) = @_;
    my @f;
    return () unless -d $top;
    find({ no_chdir => 1, wanted => sub {
        push @f, substr($File::Find::name, length $top) if -f || -l;
    } }, $top);
    return sort @f;
}

my $pkg = 'libnginx-mod-http-middleware';

###############################################################################
# DESTDIR staging with the default PREFIX (/usr): the Debian package's paths

my $dest = "$d/dest";
my ($rc, $out) = build_sh('install', DESTDIR => $dest, MODULE => $module);
is($rc, 0, 'install into DESTDIR') or diag($out);

my %want = map { $_ => 1 } (
    '/usr/lib/nginx/modules/ngx_http_middleware_module.so',
    '/usr/share/nginx/modules-available/mod-http-middleware.conf',
    '/etc/nginx/modules-enabled/60-mod-http-middleware.conf',
    '/usr/share/nginx/middleware/js/next/server.js',
    '/usr/share/nginx/middleware/js/clerk.js',
    '/usr/share/nginx/middleware/js/telemetry.js',
    "/usr/share/doc/$pkg/README.md",
    "/usr/share/doc/$pkg/DESIGN.md",
    "/usr/share/doc/$pkg/PROTOCOL.md",
    "/usr/share/doc/$pkg/examples/site/middleware-site.conf",
    "/usr/share/doc/$pkg/examples/clerk-style/README.md",
    "/usr/share/doc/$pkg/examples/telemetry/telemetry.js",
);
my %have = map { $_ => 1 } files_under($dest);
ok($have{$_}, "installed $_") for sort keys %want;

my @js = map { s{.*/}{}r } glob("$repo/js/next/*.js");
is(scalar(grep { $have{"/usr/share/nginx/middleware/js/next/$_"} } @js),
   scalar(@js), 'every file of js/next');

# the runtime built as one file when Node.js is there, its sources
# without it or with MW_RUNTIME=sources (build.sh runtime_dir)

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    return <$fh>;
}

my $node = system('sh', '-c', 'command -v node > /dev/null') == 0;
my $server = slurp("$dest/usr/share/nginx/middleware/js/next/server.js");

if ($node) {
    like($server, qr{^ \* next/server\.js: the runtime of js/next as one file}m,
         'with Node.js: the runtime built as one file');
    like($out, qr/the runtime built as one file/, '... and install says so');

} else {
    is($server, slurp("$repo/js/next/server.js"),
       'without Node.js: the sources');
    like($out, qr/no Node\.js: the runtime's sources/, '... and install says so');
}

my $src_dest = "$d/dest-sources";
($rc, $out) = build_sh('install', DESTDIR => $src_dest, MODULE => $module,
                       MW_RUNTIME => 'sources');
is($rc, 0, 'install with MW_RUNTIME=sources') or diag($out);
is(scalar(grep { slurp("$src_dest/usr/share/nginx/middleware/js/next/$_")
                 eq slurp("$repo/js/next/$_") } @js),
   scalar(@js), '... installs the sources of js/next');
($rc, $out) = build_sh('uninstall', DESTDIR => $src_dest);
is($rc, 0, '... and uninstalls them') or diag($out);

is(readlink("$dest/etc/nginx/modules-enabled/60-mod-http-middleware.conf"),
   '/usr/share/nginx/modules-available/mod-http-middleware.conf',
   'modules-enabled link points where the package puts it');
is($t->read_file('dest/usr/share/nginx/modules-available/mod-http-middleware.conf'),
   "load_module modules/ngx_http_middleware_module.so;\n",
   'the load_module line of the package (nginx prefix relative)');
is((stat "$dest/usr/lib/nginx/modules/ngx_http_middleware_module.so")[2] & 07777,
   0644, '.so mode 644');
ok(-x "$dest/usr/share/doc/$pkg/examples/clerk-style/jwt-tool",
   'scripts stay executable');

# the same files as the .deb's layout (debian/*.install): no stray paths
my @stray = grep { !m{^/usr/(lib/nginx/modules|share/nginx/(modules-available|middleware)|share/doc/\Q$pkg\E)/}
                   && !m{^/etc/nginx/modules-enabled/} } sort keys %have;
is("@stray", '', 'nothing outside the layout');

($rc, $out) = build_sh('uninstall', DESTDIR => $dest);
is($rc, 0, 'uninstall from DESTDIR') or diag($out);
my @left = files_under($dest);
is("@left", '', 'uninstall removes every installed file');
ok(!-d "$dest/usr/share/nginx/middleware", 'and the directories it made');

($rc, $out) = build_sh('uninstall', DESTDIR => $dest);
isnt($rc, 0, 'uninstall with nothing installed fails');
like($out, qr/nothing installed under/, '... and says so');

###############################################################################
# a live PREFIX: nginx runs from the installed files

my $prefix = "$d/usr-local";
my $confdir = "$d/etc-nginx";
($rc, $out) = build_sh('install', PREFIX => $prefix, NGINX_CONFDIR => $confdir,
                       MODULE => $module);
is($rc, 0, 'install with PREFIX and NGINX_CONFDIR') or diag($out);
is($t->read_file('usr-local/share/nginx/modules-available/mod-http-middleware.conf'),
   "load_module $prefix/lib/nginx/modules/ngx_http_middleware_module.so;\n",
   'another PREFIX: absolute load_module path');

my $doc = "$prefix/share/doc/$pkg/examples/site";
mkdir "$confdir/sites-enabled";
system('cp', "$doc/middleware.js", "$confdir/middleware.js") == 0 or die;

my $site = do { open my $fh, '<', "$doc/middleware-site.conf" or die; local $/; <$fh> };
my $port = $t->port(0);
my $up = $t->port(1);
ok($site =~ s{listen 8080;}{listen 127.0.0.1:$port;}, 'site: listen');
ok($site =~ s{/usr/share/nginx/middleware/js}{$prefix/share/nginx/middleware/js}g,
   'site: js_path');
ok($site =~ s{/etc/nginx/middleware\.js}{$confdir/middleware.js}g, 'site: js_import');
ok($site =~ s{/var/log/nginx/middleware\.access\.log}{$d/site.access.log},
   'site: access_log');
ok($site =~ s{127\.0\.0\.1:3000}{127.0.0.1:$up}, 'site: upstream');
$t->write_file('etc-nginx/sites-enabled/middleware', $site);

# Debian's stock nginx.conf, reduced to what matters here
my $user = $> == 0 ? 'user root;' : '';
$t->write_file('nginx.conf', <<EOF);
$user
pid $d/nginx.pid;
error_log $d/error.log info;
load_module @{[ $t->njs_module() ]};
include $confdir/modules-enabled/*.conf;

events {
}

http {
    client_body_temp_path $d/client_body_temp;
    proxy_temp_path $d/proxy_temp;
    fastcgi_temp_path $d/fastcgi_temp;
    uwsgi_temp_path $d/uwsgi_temp;
    scgi_temp_path $d/scgi_temp;
    access_log $d/access.log;

    include $confdir/conf.d/*.conf;
    include $confdir/sites-enabled/*;

    server {
        listen 127.0.0.1:$up;
        location / {
            return 200 "upstream path=\$http_x_request_path host=\$http_host\\n";
        }
    }
}
EOF

($rc, $out) = $t->test_config();
is($rc, 0, 'nginx -t: njs, modules-enabled/*.conf, the example site') or diag($out);

$t->run();

my $r = $t->http_get('/hello', port => $port, host => "127.0.0.1:$port");
is(status($r), 200, 'through the installed runtime to the upstream');
like(body($r), qr/path=\/hello /, 'the middleware set x-request-path');
like(body($r), qr/host=127\.0\.0\.1:$port$/m, 'the upstream sees Host with the port');

$r = $t->http_get('/dashboard', port => $port, host => "127.0.0.1:$port");
is(status($r), 307, 'signed out on /dashboard: redirect');
like(header($r, 'location'), qr{^http://127\.0\.0\.1:$port/sign-in$}, 'to /sign-in');

$r = $t->http_get('/middleware_status', port => $port, host => "127.0.0.1:$port");
like(body($r), qr/^nginx_middleware_decisions_total\{action="redirect"\} 1$/m,
     'middleware_status of the example site');

# the JSON access log of the example site
$t->wait_for(sub { my @l = split /\n/, $t->read_file('site.access.log'); @l >= 3 });
my @lines = split /\n/, $t->read_file('site.access.log');
is(scalar(@lines), 3, 'one JSON log line per request');
my @ev = map { my $l = $_; my $e = eval { decode_json($l) };
               ok($e, 'the log line parses as JSON') or diag("$l: $@"); $e } @lines;
is($ev[0]{middleware_action}, 'next', 'JSON log: next');
is($ev[1]{middleware_action}, 'redirect', 'JSON log: redirect');
is($ev[1]{status}, 307, 'JSON log: status is a number');
is($ev[2]{middleware_action}, '', 'JSON log: no middleware on /middleware_status');
like($ev[0]{middleware_time}, qr/^\d+$/, 'JSON log: middleware_time');
like($ev[0]{request_id}, qr/^[0-9a-f]{32}$/, 'JSON log: request_id');

$t->stop();

($rc, $out) = build_sh('uninstall', PREFIX => $prefix, NGINX_CONFDIR => $confdir);
is($rc, 0, 'uninstall from PREFIX') or diag($out);
@left = files_under($prefix);
is("@left", '', 'nothing left under PREFIX');
ok(!-e "$confdir/modules-enabled/60-mod-http-middleware.conf",
   'the modules-enabled link is gone');
ok(-e "$confdir/middleware.js", "the admin's own files stay");

# over the Debian package (its load_module line live in /etc/nginx):
# refused before anything is written
mkdir "$d/bin";
open my $fh, '>', "$d/bin/dpkg-query" or die;
print $fh "#!/bin/sh\necho 'install ok installed'\n";
close $fh;
chmod 0755, "$d/bin/dpkg-query";
($rc, $out) = build_sh('install', PATH => "$d/bin:$ENV{PATH}",
                       PREFIX => "$d/over", MODULE => $module);
isnt($rc, 0, 'install with the package installed: refused');
like($out, qr/the package libnginx-mod-http-middleware is installed/, '... says why');
ok(!-e "$d/over", '... and writes nothing');

$t->no_alerts_ok();

done_testing();
