/*
 * URL, URLSearchParams, NextURL: WHATWG parsing and serialization.
 */

import server from 'next/server.js';
import tap from 'tap.js';

var URL = server.URL;
var URLSearchParams = server.URLSearchParams;
var NextURL = server.NextURL;
var test = tap.test;


function parts(u) {
    return [u.href, u.origin, u.protocol, u.host, u.hostname, u.port,
            u.pathname, u.search, u.hash];
}


test('components', function (t) {
    var u = new URL('HTTPS://user:pw@Example.COM:8443/a/b?x=1#top');

    t.deepIs(parts(u), ['https://user:pw@example.com:8443/a/b?x=1#top',
                        'https://example.com:8443', 'https:',
                        'example.com:8443', 'example.com', '8443', '/a/b',
                        '?x=1', '#top'], 'parts');
    t.is(u.username, 'user', 'username');
    t.is(u.password, 'pw', 'password');
    t.is(String(u), u.href, 'toString');
    t.is(JSON.stringify({ u: u }), '{"u":"' + u.href + '"}', 'toJSON');
});


test('normalization', function (t) {
    t.is(new URL('http://h.com:80/a/./b/../c').href, 'http://h.com/a/c',
         'default port, dot segments');
    t.is(new URL('http://h.com').href, 'http://h.com/', 'empty path');
    t.is(new URL('http:\\\\h.com\\a\\b').href, 'http://h.com/a/b',
         'backslashes');
    t.is(new URL('http://h.com/%2e%2E/a/%2e').href, 'http://h.com/a/',
         'encoded dots');
    t.is(new URL('http://h.com/a b/"q"?x y#f g').href,
         'http://h.com/a%20b/%22q%22?x%20y#f%20g', 'spaces and quotes');
    t.is(new URL('http://h.com/caf\u00e9?q=\u00e9').href,
         'http://h.com/caf%C3%A9?q=%C3%A9', 'unicode path and query');
    t.is(new URL('http://h.com/%7Euser/%zz').pathname, '/%7Euser/%zz',
         'existing escapes kept');
    t.is(new URL("http://h.com/?a='b'").search, "?a=%27b%27",
         "special query encodes '");
    t.is(new URL('http://M\u00fcnchen.de/').host, 'xn--mnchen-3ya.de',
         'IDNA host');
    t.is(new URL('http://0x7f.1/').host, '127.0.0.1', 'IPv4 numbers');
    t.is(new URL('http://[::1]:8080/').host, '[::1]:8080', 'IPv6');
    t.is(new URL('  http://h.com/\t\na  ').href, 'http://h.com/a',
         'trim and strip tab/newline');
});


test('invalid URLs throw TypeError', function (t) {
    t.throws(function () { return new URL('/relative'); }, TypeError,
             'relative without base');
    t.throws(function () { return new URL('http://'); }, TypeError,
             'no host');
    t.throws(function () { return new URL('http://h.com:99999/'); },
             TypeError, 'port out of range');
    t.throws(function () { return new URL('http://a b/'); }, TypeError,
             'space in host');
    t.ok(!URL.canParse('nope'), 'canParse false');
    t.ok(URL.canParse('/x', 'http://h.com'), 'canParse with base');
});


test('relative references', function (t) {
    var base = 'http://h.com/a/b/c?q#f';

    t.is(new URL('d', base).href, 'http://h.com/a/b/d', 'path');
    t.is(new URL('../d', base).href, 'http://h.com/a/d', 'parent');
    t.is(new URL('/d?x', base).href, 'http://h.com/d?x', 'absolute path');
    t.is(new URL('?y', base).href, 'http://h.com/a/b/c?y', 'query');
    t.is(new URL('#g', base).href, 'http://h.com/a/b/c?q#g', 'fragment');
    t.is(new URL('//o.com/p', base).href, 'http://o.com/p',
         'scheme-relative');
    t.is(new URL('', base).href, 'http://h.com/a/b/c?q', 'empty');
    t.is(new URL('/x', new URL(base)).href, 'http://h.com/x', 'URL base');
});


test('non-special schemes', function (t) {
    var u = new URL('mailto:Me@Example.com?subject=hi');

    t.is(u.protocol, 'mailto:', 'protocol');
    t.is(u.pathname, 'Me@Example.com', 'opaque path');
    t.is(u.search, '?subject=hi', 'search');
    t.is(u.origin, 'null', 'origin');
});


test('setters', function (t) {
    var u = new URL('http://h.com/a?x=1#f');

    u.pathname = '/new path/\u00e9';
    t.is(u.pathname, '/new%20path/%C3%A9', 'pathname');
    u.pathname = 'no-slash';
    t.is(u.pathname, '/no-slash', 'pathname gets a slash');
    u.search = 'y=2&z=a b';
    t.is(u.search, '?y=2&z=a%20b', 'search');
    t.is(u.searchParams.get('z'), 'a b', 'searchParams follows');
    u.hash = 'top';
    t.is(u.hash, '#top', 'hash');
    u.host = 'other.org:81';
    t.is(u.host, 'other.org:81', 'host');
    u.hostname = 'third.net';
    t.is(u.host, 'third.net:81', 'hostname keeps port');
    u.port = '80';
    t.is(u.port, '', 'default port removed');
    u.protocol = 'https';
    t.is(u.href, 'https://third.net/no-slash?y=2&z=a%20b#top', 'protocol');
    u.search = '';
    u.hash = '';
    t.is(u.href, 'https://third.net/no-slash', 'cleared');
    u.href = 'http://x.com/';
    t.is(u.host, 'x.com', 'href');
    t.throws(function () { u.href = 'bad'; }, TypeError, 'bad href');
});


test('searchParams linked both ways', function (t) {
    var u = new URL('http://h.com/?a=1&b=2');

    u.searchParams.append('c', 'x y');
    t.is(u.search, '?a=1&b=2&c=x+y', 'append');
    u.searchParams['delete']('a');
    t.is(u.href, 'http://h.com/?b=2&c=x+y', 'delete');
    u.searchParams['delete']('b');
    u.searchParams['delete']('c');
    t.is(u.href, 'http://h.com/', 'empty: no "?"');
});


test('URLSearchParams parsing', function (t) {
    var p = new URLSearchParams('?a=1&a=2&%61=3&b=x+y%2Bz&c=%zz&d&=e&'
                                + 'f=%E2%82%AC&&g==h');

    t.deepIs(p.getAll('a'), ['1', '2', '3'], 'duplicate and encoded keys');
    t.is(p.get('b'), 'x y+z', "'+' is space, %2B is +");
    t.is(p.get('c'), '%zz', 'malformed escape kept');
    t.is(p.get('d'), '', 'no =');
    t.is(p.get(''), 'e', 'empty name');
    t.is(p.get('f'), '\u20ac', 'UTF-8');
    t.is(p.get('g'), '=h', 'value with =');
    t.is(p.get('nope'), null, 'missing: null');
    t.ok(p.has('a', '2') && !p.has('a', '9'), 'has(name, value)');
    t.is(p.size, 9, 'size');
    t.is(p.toString(),
         'a=1&a=2&a=3&b=x+y%2Bz&c=%25zz&d=&=e&f=%E2%82%AC&g=%3Dh',
         'serialization');
});


test('URLSearchParams methods', function (t) {
    var p = new URLSearchParams({ b: '2', a: '1' }), seen = [];

    p.append('a', '0');
    p.set('b', 'x');
    p.sort();
    t.is(p.toString(), 'a=1&a=0&b=x', 'sort is stable');
    p['delete']('a', '0');
    t.is(p.toString(), 'a=1&b=x', 'delete with value');
    p.forEach(function (v, k) { seen.push(k + v); });
    t.deepIs(seen, ['a1', 'bx'], 'forEach');
    t.is(new URLSearchParams([['x', 'a&b'], ['y', '\u00e9 !*\'()~']])
             .toString(), 'x=a%26b&y=%C3%A9+%21*%27%28%29%7E',
         'form encoding set');
    t.is(new URLSearchParams(p).toString(), 'a=1&b=x', 'copy');
});


test('NextURL', function (t) {
    var n = new NextURL('http://h.com/a?x=1'), c;

    t.is(n.basePath, '', 'basePath');
    t.is(n.locale, '', 'locale');
    t.is(n.buildId, undefined, 'buildId');
    c = n.clone();
    c.pathname = '/b';
    c.searchParams.set('x', '2');
    t.is(n.href, 'http://h.com/a?x=1', 'original untouched');
    t.is(c.href, 'http://h.com/b?x=2', 'clone changed');
    t.is(c.toString(), c.href, 'toString');
    t.ok(n instanceof URL, 'is a URL');
    c.basePath = '/docs';
    t.is(c.href, 'http://h.com/docs/b?x=2', 'basePath in href');
});


/*
 * The fast path (plain http(s)/ws(s) URLs and path-absolute references)
 * gives what the general parser gives; each input is next to the same
 * input with a character that sends it to the general parser.
 */

test('fast path', function (t) {
    var base = new URL('http://127.0.0.1:8080/a/b?q=1#f');

    t.deepIs(parts(new URL('http://127.0.0.1:8080/dashboard')),
             ['http://127.0.0.1:8080/dashboard', 'http://127.0.0.1:8080',
              'http:', '127.0.0.1:8080', '127.0.0.1', '8080', '/dashboard',
              '', ''], 'IPv4 host, port');
    t.is(new URL('http://Example.COM:080/a?x=1').href,
         'http://example.com/a?x=1', 'host lower-cased, default port');
    t.is(new URL('https://h.com:443').href, 'https://h.com/', 'empty path');
    t.is(new URL('http://h.com/a/').pathname, '/a/', 'trailing slash');
    t.is(new URL('http://h.com:00081/').port, '81', 'port leading zeros');
    t.is(new URL('wss://h.com:443/x?').href, 'wss://h.com/x?',
         'empty query');
    t.is(new URL('http://h.com/a?b=c?d/e').search, '?b=c?d/e',
         '? and / in the query');
    t.is(new URL('http://h.com/a?b=\'').search, '?b=%27',
         'quote in a special query: general parser');
    t.is(new URL('http://h.com/.well-known/x').pathname, '/.well-known/x',
         'segment starting with a dot');
    t.is(new URL('http://h.com/a/./b/%2E%2e/c').pathname, '/a/c',
         'dot segments: general parser');
    t.is(new URL('http://0x7f.1/').host, '127.0.0.1',
         'numeric host: general parser');
    t.is(new URL('http://127.000.0.1/').host, '127.0.0.1',
         'non-canonical IPv4: general parser');
    t.throws(function () { new URL('http://h.9/'); },
             'a domain ending in a number: general parser (IPv4)');
    t.throws(function () { new URL('http://h.com:65536/'); },
             'port out of range');
    t.is(new URL('/sign-in?redirect_url=%2Fdashboard', base).href,
         'http://127.0.0.1:8080/sign-in?redirect_url=%2Fdashboard',
         'path-absolute against a base: no fragment, own query');
    t.is(new URL('/x', 'http://u:p@h.com:81/y').href, 'http://u:p@h.com:81/x',
         'userinfo and port from the base');
    t.is(new URL('//other.com/x', base).href, 'http://other.com/x',
         'scheme-relative: general parser');
    t.is(new URL('/a b', base).pathname, '/a%20b', 'space: general parser');
    t.throws(function () { new URL('/x', 'mailto:a@b'); },
             'against an opaque path: general parser');
    t.is(new URL('http://h.com/a#top').hash, '#top',
         'fragment: general parser');
    t.is(new URL('/x?y', base).searchParams.get('y'), '',
         'searchParams made on first use');
});


tap.run();
