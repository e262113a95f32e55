/*
 * RequestCookies / ResponseCookies as @edge-runtime/cookies 6.
 */

import server from 'next/server.js';
import tap from 'tap.js';

var Headers = server.Headers;
var RequestCookies = server.RequestCookies;
var ResponseCookies = server.ResponseCookies;
var NextResponse = server.NextResponse;
var test = tap.test;


function reqCookies(header) {
    return new RequestCookies(new Headers({ cookie: header }));
}


test('RequestCookies parsing', function (t) {
    var c = reqCookies('a=1; b=x=y==; c="quoted"; flag; d=%E2%82%AC; '
                       + 'bad=%E0%A4%A; e=1;f=2');

    t.deepIs(c.get('a'), { name: 'a', value: '1' }, 'get -> {name, value}');
    t.is(c.get('b').value, 'x=y==', "'=' in the value");
    t.is(c.get('c').value, '"quoted"', 'quotes kept');
    t.is(c.get('flag').value, 'true', 'no "=": "true"');
    t.is(c.get('d').value, '\u20ac', 'percent-decoded');
    t.is(c.get('bad'), undefined, 'malformed escape: dropped');
    t.is(c.get('f').value, '2', 'split on ";" without space');
    t.is(c.get({ name: 'a' }).value, '1', 'get({name})');
    t.is(c.get('missing'), undefined, 'missing: undefined');
    t.ok(c.has('e') && !c.has('bad'), 'has');
    t.is(c.size, 7, 'size');
});


test('RequestCookies duplicates and odd spacing', function (t) {
    var c = reqCookies('a=1; a=2;   token = spaced ; =empty; ;x=');

    t.is(c.get('a').value, '2', 'last wins');
    t.is(c.getAll('a').length, 1, 'getAll(name): one');
    t.is(c.get('token ').value, ' spaced ', 'name/value not trimmed');
    t.is(c.get('').value, 'empty', 'empty name');
    t.is(c.get('x').value, '', 'empty value');
    t.deepIs(c.getAll().map(function (x) { return x.name; }),
             ['a', 'token ', '', 'x'], 'getAll order');
});


test('RequestCookies set/delete/clear rewrite the cookie header',
     function (t) {
    var h = new Headers({ cookie: 'a=1; b=2' });
    var c = new RequestCookies(h);

    c.set('c', 'x y;z');
    t.is(h.get('cookie'), 'a=1; b=2; c=x%20y%3Bz', 'set appends, encodes');
    c.set({ name: 'a', value: '9' });
    t.is(h.get('cookie'), 'a=9; b=2; c=x%20y%3Bz', 'set keeps position');
    t.is(c['delete']('b'), true, 'delete -> true');
    t.is(c['delete']('nope'), false, 'delete missing -> false');
    t.deepIs(c['delete'](['a', 'zz']), [true, false], 'delete(names)');
    t.is(h.get('cookie'), 'c=x%20y%3Bz', 'header after deletes');
    t.is(c.toString(), 'c=x%20y%3Bz', 'toString');
    c.clear();
    t.is(h.get('cookie'), '', 'clear');
    t.is(c.size, 0, 'size 0');
});


test('ResponseCookies serialization', function (t) {
    var h = new Headers(), c = new ResponseCookies(h), now, sc;

    c.set('a', 'a b;c,d=e');
    t.deepIs(h.getSetCookie(), ['a=a%20b%3Bc%2Cd%3De; Path=/'],
             'value encoded, Path=/ default');

    c.set('u', 'h\u00e9llo', { path: '/x', domain: 'example.com',
                               secure: true, httpOnly: true,
                               sameSite: 'lax', partitioned: true,
                               priority: 'high', expires: 0 });
    t.is(h.getSetCookie()[1], 'u=h%C3%A9llo; Path=/x; Expires=Thu, 01 Jan '
         + '1970 00:00:00 GMT; Domain=example.com; Secure; HttpOnly; '
         + 'SameSite=lax; Partitioned; Priority=high', 'attribute order');

    now = Date.now();
    c.set({ name: 'm', value: '1', maxAge: 60, expires: new Date(0) });
    sc = h.getSetCookie()[2];
    t.like(sc, /^m=1; Path=\/; Expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; Max-Age=60$/,
           'maxAge sets Expires');
    t.ok(Math.abs(c.get('m').expires.getTime() - (now + 60000)) < 2000,
         'Expires = now + maxAge');

    c.set('s', 'v', { sameSite: true, maxAge: 0 });
    t.is(h.getSetCookie()[3], 's=v; Path=/; Max-Age=0; SameSite=true',
         'sameSite verbatim, maxAge 0');
});


test('ResponseCookies set twice, delete, get', function (t) {
    var h = new Headers(), c = new ResponseCookies(h);

    c.set('a', '1');
    c.set('b', '2');
    c.set('a', '3');
    t.deepIs(h.getSetCookie(), ['a=3; Path=/', 'b=2; Path=/'],
             'last value, first position');
    c['delete']('b');
    t.is(h.getSetCookie()[1],
         'b=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'delete');
    c['delete']({ name: 'a', path: '/p', domain: 'd.com' });
    t.is(h.getSetCookie()[0], 'a=; Path=/p; Expires=Thu, 01 Jan 1970 '
         + '00:00:00 GMT; Domain=d.com', 'delete with path/domain');
    t.is(c.get('a').value, '', 'get');
    t.is(c.getAll().length, 2, 'getAll');
    t.ok(c.has('b'), 'has');
});


test('ResponseCookies from existing Set-Cookie headers', function (t) {
    var h = new Headers();
    var c;

    h.append('set-cookie', 'x=1; Path=/a; HttpOnly; SameSite=Strict');
    h.append('set-cookie', 'y=%20; Max-Age=5');
    c = new ResponseCookies(h);

    t.deepIs(c.get('x'), { name: 'x', value: '1', httpOnly: true,
                           path: '/a', sameSite: 'strict' }, 'parsed');
    t.is(c.get('y').maxAge, 5, 'max-age');
    t.is(c.get('y').value, ' ', 'decoded');

    h.append('set-cookie', 'raw=1');
    c.set('z', '1');
    t.is(h.getSetCookie().length, 3,
         'raw append after construction is lost on set, as Next.js');
});


test('NextResponse.cookies writes set-cookie on the response', function (t) {
    var res = NextResponse.next();

    res.cookies.set('theme', 'dark', { maxAge: 0 });
    t.deepIs(res.headers.getSetCookie(), ['theme=dark; Path=/; Max-Age=0'],
             'set-cookie');
    t.is(res.cookies.get('theme').value, 'dark', 'get');
});


test('NextResponse.cookies sees the set-cookie lines of construction', function (t) {
    var res = NextResponse.next(), pre;

    /* made on first use, it parses what construction had: nothing */

    res.headers.append('set-cookie', 'late=1');
    t.is(res.cookies.get('late'), undefined, 'a later line is not parsed');
    res.cookies.set('a', '1');
    t.deepIs(res.headers.getSetCookie(), ['a=1; Path=/'],
             'set() writes the parsed cookies only, as when made at once');

    pre = NextResponse.next({ headers: { 'set-cookie': 'early=2' } });
    pre.headers.append('set-cookie', 'late=1');
    t.is(pre.cookies.get('early').value, '2', 'a line of construction');
    t.is(pre.cookies.get('late'), undefined, 'a later line');
});


tap.run();
