/*
 * examples/clerk-style/clerk.js: createRouteMatcher (path-to-regexp 6 as
 * Clerk uses it: anchored, case-insensitive, optional trailing slash).
 *
 *     njs -q t/js/test_clerk_routes.js
 */

import clerk from '../../examples/clerk-style/clerk.js';
import tap from 'tap.js';

var test = tap.test;
var crm = clerk.createRouteMatcher;


function req(path) {
    return { nextUrl: { pathname: path },
             url: 'https://app.example' + path };
}


function check(t, patterns, yes, no) {
    var m = crm(patterns), i;

    for (i = 0; i < yes.length; i++) {
        t.ok(m(req(yes[i])), JSON.stringify(patterns) + ' matches '
             + yes[i]);
    }

    for (i = 0; i < no.length; i++) {
        t.ok(!m(req(no[i])), JSON.stringify(patterns) + ' does not match '
             + no[i]);
    }
}


test('literal paths', function (t) {
    check(t, ['/sign-in'],
          ['/sign-in', '/sign-in/', '/SIGN-IN'],
          ['/sign-in/x', '/sign-inx', '/x/sign-in', '/', '/sign']);
    check(t, '/', ['/'], ['/a']);
    check(t, ['/a.b'], ['/a.b'], ['/aXb']);
});


test('(.*) groups', function (t) {
    check(t, ['/dashboard(.*)'],
          ['/dashboard', '/dashboard/', '/dashboard/settings/x',
           '/dashboards', '/Dashboard/A'],
          ['/', '/dash', '/x/dashboard']);
    check(t, ['/api/(.*)'],
          ['/api/', '/api/me', '/api/a/b/c'],
          ['/api', '/apiary', '/x/api/me']);
    check(t, ['/(.*)'], ['/', '/anything/at/all'], []);
    check(t, ['/((?!api|_next).*)'], ['/', '/dashboard'],
          ['/api/x', '/_next/static/a.js']);
});


test(':param, :param?, :param*, :param+', function (t) {
    check(t, ['/blog/:slug'],
          ['/blog/hello', '/blog/hello/'],
          ['/blog', '/blog/', '/blog/a/b']);
    check(t, ['/blog/:slug?'],
          ['/blog', '/blog/', '/blog/a'],
          ['/blog/a/b']);
    check(t, ['/docs/:path*'],
          ['/docs', '/docs/a', '/docs/a/b/c'],
          ['/doc', '/docsx']);
    check(t, ['/docs/:path+'],
          ['/docs/a', '/docs/a/b'],
          ['/docs', '/docs/']);
    check(t, ['/user/:id(\\d+)'],
          ['/user/42'],
          ['/user/abc', '/user/']);
    check(t, ['/org/:org/settings'],
          ['/org/acme/settings'],
          ['/org/settings', '/org/a/b/settings']);
    check(t, ['/files{/:name}?'],
          ['/files', '/files/a'],
          ['/files/a/b']);
});


test('arrays, RegExps, functions, matchers', function (t) {
    var calls = 0, r = req('/x');

    check(t, ['/a', '/b(.*)'], ['/a', '/b/c'], ['/c']);
    check(t, [/^\/re\/\d+$/], ['/re/1'], ['/re/x', '/RE/1']);
    check(t, /^\/g/g, ['/g', '/g', '/gg'], ['/h']);
    check(t, [], [], ['/', '/a']);
    check(t, [crm(['/inner(.*)']), '/outer'], ['/inner/x', '/outer'],
          ['/other']);

    check(t, function (rq) { calls++; return rq.nextUrl.pathname === '/f'; },
          ['/f'], ['/g']);
    t.is(calls, 2, 'function pattern called with the request');

    t.ok(crm(['/x'])('/x'), 'a string path is accepted');
    t.ok(crm(['/x'])({ url: 'https://h.example/x?q=1#f' }),
         'url used without nextUrl');
    t.ok(crm(['/'])({ url: 'https://h.example' }), 'url without a path');
    t.ok(!crm(['/x'])(null), 'null request: no match');
    t.ok(crm(['/x'])(r) && crm(['/x'])(r), 'stable over calls');
});


test('invalid patterns throw at creation', function (t) {
    t.throws(function () { crm(['/a/:']); }, /invalid path pattern/,
             'missing parameter name');
    t.throws(function () { crm(['/a(b']); }, /invalid path pattern/,
             'unbalanced group');
    t.throws(function () { crm(['/a()']); }, /invalid path pattern/,
             'empty group');
    t.throws(function () { crm(['/a(b(c))']); }, /invalid path pattern/,
             'capturing group inside');
    t.throws(function () { crm(['/a(?:x)']); }, /invalid path pattern/,
             'group starting with ?');
    t.throws(function () { crm(['/a{b']); }, /invalid path pattern/,
             'unclosed brace');
    t.throws(function () { crm(['/a\\']); }, /invalid path pattern/,
             'escape at the end');
    t.throws(function () { crm([42]); }, TypeError, 'a number');
});


test('regular expression sources', function (t) {
    var src = clerk._internal.patternSource;

    t.is(src('/dashboard(.*)'), '^\\/dashboard(.*)[\\/#\\?]?$',
         '/dashboard(.*)');
    t.is(src('/blog/:slug'), '^\\/blog(?:\\/([^\\/#\\?]+?))[\\/#\\?]?$',
         '/blog/:slug');
    t.is(src('/a/:p*'),
         '^\\/a(?:\\/((?:[^\\/#\\?]+?)(?:\\/(?:[^\\/#\\?]+?))*))?'
         + '[\\/#\\?]?$', '/a/:p*');
});


test('normalizePath (what nginx serves)', function (t) {
    var n = clerk._internal.normalizePath;

    t.is(n('/a/b'), '/a/b', 'plain');
    t.is(n('//dashboard'), '/dashboard', 'merged slashes');
    t.is(n('/%64ashboard'), '/dashboard', 'percent-decoded');
    t.is(n('/a/./b/../c'), '/a/c', 'dot segments');
    t.is(n('/../../x'), '/x', 'above the root');
    t.is(n('/a/'), '/a/', 'trailing slash kept');
    t.is(n('/a/..'), '/', '.. at the end');
    t.is(n('/%E0%A4%A'), '/\u00e0\u00a4%A', 'bad UTF-8: bytes');
    t.is(n('/a%2fb'), '/a/b', '%2f decoded');
});


tap.run();
