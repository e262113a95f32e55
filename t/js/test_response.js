/*
 * Response and NextResponse: constructors, statics, Next.js errors.
 */

import server from 'next/server.js';
import tap from 'tap.js';

var Response = server.Response;
var NextResponse = server.NextResponse;
var Headers = server.Headers;
var test = tap.test;


test('new Response', async function (t) {
    var r = new Response('hi', { status: 403, statusText: 'Forbidden',
                                 headers: { 'X-A': '1' } });
    var s = {};

    t.is(r.status, 403, 'status');
    t.is(r.statusText, 'Forbidden', 'statusText');
    t.ok(!r.ok, 'ok');
    t.is(r.headers.get('content-type'), 'text/plain;charset=UTF-8',
         'default content-type');
    s.text = await r.text();
    t.is(s.text, 'hi', 'text()');
    t.ok(r.bodyUsed, 'bodyUsed');
    await r.text().then(null, function (e) { s.err = e; });
    t.ok(s.err instanceof TypeError, 'second read rejects');
    t.is(new Response().status, 200, 'default 200');
    t.is(new Response(null, { status: 204 }).body, null, '204 no body');
    t.is(new Response('x', { headers: { 'content-type': 'text/html' } })
             .headers.get('content-type'), 'text/html', 'own content-type');
});


test('NextResponse.next() and redirect(): the fields a Response has',
     async function (t) {
    [NextResponse.next(), NextResponse.redirect('http://a.test/x', 307),
     NextResponse.next({ headers: { 'x-a': '1' } })].forEach(function (r) {
        t.is(r.statusText, '', 'statusText ""');
        t.is(r.type, 'default', 'type "default"');
        t.is(r.url, '', 'url ""');
        t.is(r.bodyUsed, false, 'bodyUsed false');
        t.is(r.body, null, 'body null');
        t.is(r.redirected, false, 'redirected false');
    });

    var c = NextResponse.next().clone(), s = {};

    t.is(c.statusText + ',' + c.type + ',' + c.url + ',' + c.bodyUsed,
         ',default,,false', 'and its clone');
    s.r = NextResponse.next();
    s.text = await s.r.text();
    t.is(s.text, '', 'text() of next(): ""');
    t.is(s.r.bodyUsed, true, 'bodyUsed true then');
    t.is(s.r.cookies.get('a'), undefined, 'cookies made on first use');
    s.r.cookies.set('a', '1');
    t.is(s.r.headers.get('set-cookie'), 'a=1; Path=/', 'and they write');
});


test('Response errors', function (t) {
    t.throws(function () { return new Response('x', { status: 99 }); },
             RangeError, 'status < 200');
    t.throws(function () { return new Response('x', { status: 600 }); },
             RangeError, 'status > 599');
    t.throws(function () { return new Response('x', { status: 204 }); },
             TypeError, 'body with 204');
    t.throws(function () { return Response.redirect('/rel'); }, TypeError,
             'Response.redirect relative');
    t.throws(function () { return Response.redirect('http://a/', 200); },
             RangeError, 'Response.redirect status');
});


test('Response.json / Response.redirect', async function (t) {
    var j = Response.json({ a: [1, 'é'] }, { status: 201 }), s = {};

    t.is(j.status, 201, 'status');
    t.is(j.headers.get('content-type'), 'application/json', 'content-type');
    s.v = await j.json();
    t.is(s.v.a[1], 'é', 'json()');
    t.is(Response.redirect('http://h.com/x').status, 302, 'default 302');
    t.is(Response.redirect('http://h.com/x', 301).headers.get('location'),
         'http://h.com/x', 'location');
});


test('NextResponse.next', function (t) {
    var n = NextResponse.next({ headers: { 'x-a': '1' } });

    t.ok(n instanceof Response, 'is a Response');
    t.is(n.headers.get('x-middleware-next'), '1', 'x-middleware-next');
    t.is(n.headers.get('x-a'), '1', 'init.headers');
    t.is(n.status, 200, 'status');
});


function lines(headers) {
    var out = [];

    headers.forEach(function (value, name) { out.push(name + ': ' + value); });

    return out;
}


test('NextResponse.next() made at once: the same as through the constructor',
     function (t) {
    var h = new Headers({ 'x-user': 'u' }), pairs, fast, slow, k, i;

    /* status: 200 takes the general path (an init field of a Response) */
    pairs = [[NextResponse.next(), NextResponse.next({ status: 200 })],
             [NextResponse.next({ request: { headers: h } }),
              NextResponse.next({ status: 200, request: { headers: h } })],
             [NextResponse.redirect('http://a.com/x y', 308),
              NextResponse.redirect('http://a.com/x y', { status: 308 })],
             [NextResponse.redirect(new server.URL('/p?q', 'http://b.org')),
              NextResponse.redirect(new server.URL('/p?q', 'http://b.org'),
                                    {})]];

    for (i = 0; i < pairs.length; i++) {
        fast = pairs[i][0];
        slow = pairs[i][1];

        t.ok(fast instanceof NextResponse && fast instanceof Response,
             'a NextResponse (' + i + ')');
        t.is(fast.status, slow.status, 'status (' + i + ')');
        /*
         * _hlist: a plain response's header entries (responseHeaders());
         * the fields it leaves absent read as their defaults through the
         * getters (compared below)
         */
        t.deepIs(Object.keys(slow).filter(function (f) {
                     return tap.fieldsOf(fast).indexOf(f) === -1;
                 }).sort(), ['_bodyUsed', '_cookies', '_nextUrl',
                             '_statusText', '_type', '_url'],
                 'the same fields, own or defaults, but the absent ('
                 + i + ')');
        t.deepIs(Object.keys(fast).filter(function (f) {
                     return !slow.hasOwnProperty(f) && f !== '_hlist';
                 }), [], 'no own field the constructor has not (' + i + ')');

        for (k in slow) {
            if (k !== '_headers' && k !== '_override' && k !== '_hlist'
                && tap.fieldsOf(fast).indexOf(k) !== -1)
            {
                t.deepIs(fast[k], slow[k], k + ' (' + i + ')');
            }
        }

        ['statusText', 'type', 'url', 'bodyUsed', 'ok', 'redirected']
            .forEach(function (g) {
                t.is(fast[g], slow[g], g + ' (' + i + ')');
            });

        t.deepIs(lines(fast.headers), lines(slow.headers),
                 'headers, with the request view (' + i + ')');
        t.is(fast.cookies.getAll().length, 0, 'no cookies (' + i + ')');
        t.is(fast.clone().status, slow.status, 'clone (' + i + ')');
        t.is(fast.body, null, 'no body (' + i + ')');
    }
});


/* the lower-case names of a response's entries, not through its getter */

function entryNames(res) {
    return ((res._headers !== null) ? res._headers._list : res._hlist)
        .map(function (e) { return e.lname; });
}


/* the decision the runtime sends for res */

function payloadOf(res) {
    var r = tap.mockRequest({ uri: '/', variables: { middleware_matched: '1' } });

    server.serve(function () { return res; }, {}).handle(r);

    return r.payload();
}


test('a plain response makes its Headers on first use', function (t) {
    var n = NextResponse.next(), r, h;

    t.is(n._headers, null, 'next(): no Headers made');
    t.deepIs(entryNames(n), ['x-middleware-next'], 'its entries');
    t.is(payloadOf(n), 'MW1 200\nx-middleware-next:1\n\n',
         'the decision, without making it');
    t.is(n._headers, null, 'still none after the decision');

    h = n.headers;
    t.ok(h instanceof Headers, 'made when read');
    t.is(n.headers, h, 'once');
    t.is(n._hlist, null, 'the entries are its own then');
    h.set('x-a', '1');
    t.is(payloadOf(n),
         'MW1 200\nx-middleware-next:1\nx-a:1\n\n',
         'a change through it is in the decision');

    r = NextResponse.redirect('http://a.com/b', 307);
    t.is(r._headers, null, 'redirect(url, status): no Headers made');
    t.is(r.cookies.set('c', '1').getAll().length, 1, 'cookies make it');
    t.is(r.headers.get('location'), 'http://a.com/b', 'Location kept');
    t.ok(/^set-cookie:c=1/m.test(payloadOf(r)),
         'the cookie is in the decision');

    n = NextResponse.next();
    t.is(n.clone().headers.get('x-middleware-next'), '1', 'clone');
});


test('NextResponse.next with request headers', function (t) {
    var h = new Headers({ 'X-User': 'u', b: '2' });
    var n = NextResponse.next({ request: { headers: h } });

    t.is(n.headers.get('x-middleware-override-headers'), 'b,x-user',
         'override list as Next.js (sorted)');
    t.is(n.headers.get('x-middleware-request-x-user'), 'u', 'request-*');
    t.is(n.headers.get('x-middleware-request-b'), '2', 'request-* again');
    t.deepIs(entryNames(NextResponse.next({ request: { headers: h } })),
             ['x-middleware-next'],
             'the view is made only when response.headers is read');
    t.is(n.clone().headers.get('x-middleware-request-x-user'), 'u',
         'a clone shows the view');
    t.is(NextResponse.next({ request: { headers: h } }).clone()
         .headers.get('x-middleware-override-headers'), 'b,x-user',
         'a clone made before any read shows it too');
    h.set('late', '1');
    t.ok(!n._override.has('late'), 'snapshot at construction');
    t.throws(function () {
        NextResponse.next({ request: { headers: { a: '1' } } });
    }, /request.headers must be an instance of Headers/, 'plain object');
});


test('NextResponse.redirect', function (t) {
    var r = NextResponse.redirect(new server.URL('http://h.com/a b'));

    t.is(r.status, 307, 'default 307');
    t.is(r.headers.get('location'), 'http://h.com/a%20b', 'normalized');
    t.is(NextResponse.redirect('http://h.com/', 301).status, 301, 'number');
    t.is(NextResponse.redirect('http://h.com/', { status: 303,
                                                  headers: { 'x-a': '1' } })
             .headers.get('x-a'), '1', 'init object');
    [301, 302, 303, 307, 308].forEach(function (s) {
        t.is(NextResponse.redirect('http://h.com/', s).status, s,
             'allowed ' + s);
    });
    t.throws(function () { NextResponse.redirect('http://h.com/', 200); },
             RangeError, '200 is not a redirect');
    t.throws(function () { NextResponse.redirect('http://h.com/', 304); },
             RangeError, '304 is not allowed');
    t.throws(function () { NextResponse.redirect('/login'); },
             /URL is malformed "\/login". Please use only absolute URLs/,
             'relative URL');
});


test('NextResponse.rewrite', function (t) {
    var r = NextResponse.rewrite('http://h.com/x?y=1',
                                 { headers: { 'x-a': '1' } });

    t.is(r.headers.get('x-middleware-rewrite'), 'http://h.com/x?y=1',
         'x-middleware-rewrite');
    t.is(r.headers.get('x-a'), '1', 'headers');
    t.throws(function () { NextResponse.rewrite('x'); }, /URL is malformed/,
             'relative');
});


test('NextResponse.json and constructor', async function (t) {
    var j = NextResponse.json({ ok: true }, { status: 400,
                                             headers: { 'x-b': '2' } });
    var s = {};

    t.ok(j instanceof NextResponse, 'NextResponse');
    t.is(j.status, 400, 'status');
    t.is(j.headers.get('x-b'), '2', 'headers');
    s.t = await j.text();
    t.is(s.t, '{"ok":true}', 'body');
    t.ok(new NextResponse('x').cookies, 'cookies on constructor');
    t.throws(function () { NextResponse.json(undefined); }, TypeError,
             'undefined data');
});


test('clone', async function (t) {
    var r = NextResponse.json({ a: 1 }), c = r.clone(), s = {};

    c.headers.set('x', '1');
    t.ok(!r.headers.has('x'), 'independent headers');
    s.a = await c.text();
    s.b = await r.text();
    t.is(s.a, s.b, 'same body');
});


tap.run();
