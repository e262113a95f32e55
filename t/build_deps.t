#!/usr/bin/perl

# ./build.sh installs only what the chosen command needs: with every
# package reported missing and no root (stubs for dpkg-query and id first
# in PATH), each command stops at once and names exactly its packages and
# the apt-get line to run.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use File::Temp qw(tempdir);
use Mw::Nginx;

my $repo = Mw::Nginx->repo();

# build.sh as a user runs it: not with the settings of the matrix run
# (another nginx's configure flags, another njs CLI) this test may be in
delete @ENV{qw(NGINX_CONFIGURE_ARGS NJS_CLI NJS_ENGINE MW_BUILD_DIR)};
mkdir "$repo/t/tmp";
my $bin = tempdir('deps-XXXXXX', DIR => "$repo/t/tmp", CLEANUP => 1);

sub stub {
    my ($name, $body) = @_;
    open my $fh, '>', "$bin/$name" or die "$bin/$name: $!\n";
    print $fh "#!/bin/sh\n$body\n";
    close $fh;
    chmod 0755, "$bin/$name";
}

stub('dpkg-query', 'exit 1');                  # nothing is installed
stub('id', 'echo 1000');                       # not root
stub('apt-get', "echo apt-get called >&2; exit 99");

sub needs {
    my ($cmd) = @_;
    my $out = `PATH='$bin':\$PATH '$repo/build.sh' $cmd 2>&1`;
    my $rc = $? >> 8;
    my ($list) = $out =~ /needs the Debian packages: (.*)/;
    return ($rc, $out, { map { $_ => 1 } split ' ', $list // '' });
}

my %cases = (
    unit     => { has => [qw(gcc check pkg-config)],
                  not => [qw(nginx nginx-dev njs valgrind lintian)] },
    js       => { has => [qw(njs)],
                  not => [qw(nginx gcc check valgrind)] },
    build    => { has => [qw(nginx nginx-dev gcc make libpcre2-dev)],
                  not => [qw(njs check valgrind libnginx-mod-http-js)] },
    prove    => { has => [qw(nginx nginx-dev libnginx-mod-http-js curl openssl)],
                  not => [qw(valgrind njs check lintian)] },
    test     => { has => [qw(nginx nginx-dev libnginx-mod-http-js njs check curl)],
                  not => [qw(valgrind lintian debootstrap prometheus)] },
    valgrind => { has => [qw(valgrind nginx libnginx-mod-http-js)],
                  not => [qw(lintian njs)] },
    deb      => { has => [qw(nginx-dev debhelper dpkg-dev lintian)],
                  not => [qw(valgrind njs check debootstrap)] },
    'deb-test' => { has => [qw(lintian debootstrap)],
                    not => [qw(valgrind njs)] },
);

for my $cmd (sort keys %cases) {
    my ($rc, $out, $pkgs) = needs($cmd);
    is($rc, 1, "$cmd: stops without root") or diag($out);
    unlike($out, qr/apt-get called/, "$cmd: runs no apt-get");
    like($out, qr/as root: apt-get install /, "$cmd: says what to run");
    my @missing = grep { !$pkgs->{$_} } @{ $cases{$cmd}{has} };
    is("@missing", '', "$cmd: asks for what it needs") or diag($out);
    my @extra = grep { $pkgs->{$_} } @{ $cases{$cmd}{not} };
    is("@extra", '', "$cmd: and not for what it does not need") or diag($out);
}

# another nginx with its own flags needs no Debian nginx; with Debian's
# flags (conf_flags of nginx-dev) it does
my ($rc, $out, $pkgs) = needs("--nginx-src '$repo' build");
ok($pkgs->{'nginx-dev'}, '--nginx-src with Debian\'s flags: nginx-dev')
    or diag($out);
$out = `NGINX_CONFIGURE_ARGS='--with-compat' PATH='$bin':\$PATH '$repo/build.sh' --nginx-src '$repo' prove 2>&1`;
($pkgs) = map { { map { $_ => 1 } split ' ' } } $out =~ /needs the Debian packages: (.*)/;
ok($pkgs && !$pkgs->{'nginx-dev'} && !$pkgs->{nginx}
   && !$pkgs->{'libnginx-mod-http-js'} && $pkgs->{gcc},
   '--nginx-src with NGINX_CONFIGURE_ARGS: no Debian nginx packages')
    or diag($out);
$out = `NJS_CLI=/x/njs PATH='$bin':\$PATH '$repo/build.sh' js 2>&1`;
unlike($out, qr/needs the Debian packages:.*\bnjs\b/, 'NJS_CLI: no njs package');

# commands that install nothing
($rc, $out) = needs('uninstall');
unlike($out, qr/needs the Debian packages/, 'uninstall needs no package');

# as root (the stub says so): the warning about nginx on port 80, and
# MW_NO_START=1 keeps apt from starting services: a policy-rc.d only while
# apt runs (here at MW_POLICY_RC_D instead of /usr/sbin/policy-rc.d)
my $policy = "$bin/policy-rc.d";
stub('id', 'echo 0');
stub('apt-get', 'echo "apt-get $*" >&2; '
     . 'if [ "$1" = install ]; then '
     . "[ -x '$policy' ] && '$policy' nginx start; "
     . 'echo "policy-rc.d: $?" >&2; exit 1; fi');

$out = `MW_POLICY_RC_D='$policy' PATH='$bin':\$PATH '$repo/build.sh' build 2>&1`;
like($out, qr/starts and enables nginx\s+on port 80/, 'warns about nginx on port 80');
like($out, qr/MW_NO_START=1/, '... and says how to avoid it');
like($out, qr/apt-get install -y .*nginx/, 'apt-get runs without -qq');
like($out, qr/policy-rc\.d: 1$/m, 'without MW_NO_START: no policy-rc.d of ours');

$out = `MW_NO_START=1 MW_POLICY_RC_D='$policy' PATH='$bin':\$PATH '$repo/build.sh' build 2>&1`;
like($out, qr/policy-rc\.d: 101/, 'MW_NO_START=1: services are not started')
    or diag($out);
unlike($out, qr/starts and enables/, '... and no warning');
ok(!-e $policy, '... and policy-rc.d is gone afterwards');

done_testing();
