/*
 * event.outcome, getRequestExecutionContext().outcome, after(function
 * (outcome)) on a mock request whose r.subrequest() the test answers; the
 * telemetry example's OTLP span (spanOf, parseTraceparent).
 */

import server from 'next/server.js';
import telemetry from '../../examples/telemetry/telemetry.js';
import tap from 'tap.js';

var NextResponse = server.NextResponse;
var test = tap.test;

var OUTCOME = { requestId: 'req-1', status: 502, bytesSent: 300,
                bodyBytesSent: 150, requestTime: 12, upstreamStatus: 502,
                upstreamResponseTime: 3, upstreams: [], action: 'next',
                middlewareTime: 1, aborted: false, uri: '/x' };


/* a mock F whose subrequests wait for the test */

function withSubrequest(r) {
    r.subrequests = [];

    r.subrequest = function (uri) {
        var d = tap.deferred();

        r.subrequests.push({ uri: uri, answer: d });
        return d.promise;
    };

    return r;
}


function reply(r, status, body) {
    r.subrequests[0].answer.resolve({ status: status, responseText: body });
}


test('event.outcome: one parked subrequest, resolved with the outcome',
     async function (t) {
    var r = withSubrequest(tap.mockRequest({ uri: '/x' }));
    var got = {};

    server.serve(function (request, event) {
        var ctx = server.getRequestExecutionContext();

        got.same = (event.outcome === event.outcome)
                   && (event.outcome === ctx.outcome);
        event.waitUntil(event.outcome.then(function (o) { got.o = o; }));
        return NextResponse.next();
    }).handle(r);

    await tap.ticks();
    t.is(r.returns.length, 1, 'the decision is not held back');
    t.is(r.subrequests.length, 1, 'one subrequest');
    t.is(r.subrequests[0].uri, '/.middleware/outcome', 'to the module');
    t.ok(got.same, 'event.outcome and ctx.outcome are one promise');
    t.is(got.o, undefined, 'not resolved before the module answers');

    reply(r, 200, JSON.stringify(OUTCOME));
    await tap.ticks();
    t.deepIs(got.o, OUTCOME, 'resolved with the outcome');
});


test('after(function (outcome)) waits for it, after(function ()) does not',
     async function (t) {
    var r = withSubrequest(tap.mockRequest({ uri: '/x' }));
    var calls = [];

    server.serve(function () {
        server.after(function (o) { calls.push('outcome ' + o.status); });
        server.after(function () { calls.push('plain'); });
        return NextResponse.next();
    }).handle(r);

    await tap.ticks();
    t.deepIs(calls, ['plain'], 'the plain callback runs at the decision');

    reply(r, 200, JSON.stringify(OUTCOME));
    await tap.ticks();
    t.deepIs(calls, ['plain', 'outcome 502'], 'then the outcome callback');
    t.like(r.variables.middleware_report || '', /tasks=2/,
           'both are counted as tasks');
});


test('a refused answer rejects', async function (t) {
    var r = withSubrequest(tap.mockRequest({ uri: '/x' }));
    var got = {};

    server.serve(function (request, event) {
        event.outcome.then(null, function (e) { got.e = e; });
        return NextResponse.next();
    }).handle(r);

    reply(r, 503, '{"error":"no outcome"}');
    await tap.ticks();
    t.like(got.e && got.e.message, /not available: status 503/,
           'rejected with the status');
});


test('without the module: rejects, the decision is unaffected',
     async function (t) {
    var r = tap.mockRequest({ uri: '/x', module: false });
    var got = {};

    server.serve(function (request, event) {
        event.outcome.then(null, function (e) { got.e = e; });
        return NextResponse.next();
    }).handle(r);

    await tap.ticks();
    t.is(r.returns.length, 1, 'decided');
    t.like(got.e && got.e.message, /ngx_http_middleware_module is not loaded/,
           'rejected with the reason');
});


/* --- sink.send ------------------------------------------------------------ */

function withSinkCapture(r) {
    r.sent = [];

    r.subrequest = function (uri, options) {
        r.sent.push({ uri: uri, options: options });
    };

    return r;
}


test('sink.send: one detached POST subrequest per event, JSON for values',
     async function (t) {
    var r = withSinkCapture(tap.mockRequest({ uri: '/x' }));
    var errors = [];

    server.serve(function () {
        server.sink.send('plain line');
        server.sink.send({ a: 1, b: 'two' });

        ['a\nb', 'a\rb', '', undefined].forEach(function (v) {
            try {
                server.sink.send(v);

            } catch (e) {
                errors.push(e.constructor.name + ': ' + e.message);
            }
        });

        return NextResponse.next();
    }).handle(r);

    await tap.ticks();
    t.is(r.sent.length, 2, 'two events handed over');
    t.is(r.sent[0].uri, '/.middleware/sink', 'to the module');
    t.deepIs(r.sent[0].options, { method: 'POST', body: 'plain line',
                                  detached: true },
             'a string as is, detached (nothing to wait for)');
    t.is(r.sent[1].options.body, '{"a":1,"b":"two"}', 'a value as JSON');
    t.is(errors.length, 4, 'line breaks, empty and undefined refused');
    t.like(errors[0], /^TypeError: .*one line/, 'LF: TypeError');
    t.like(errors[1], /^TypeError: .*one line/, 'CR: TypeError');
    t.like(errors[2], /^TypeError: .*non-empty/, 'empty: TypeError');
    t.is(r.returns.length, 1, 'the decision is unaffected');
});


test('sink.send without the module throws, the failure is the middleware\'s',
     async function (t) {
    var r = tap.mockRequest({ uri: '/x', module: false });
    var got = {};

    server.serve(function () {
        try {
            server.sink.send('x');

        } catch (e) {
            got.e = e;
        }

        return NextResponse.next();
    }).handle(r);

    await tap.ticks();
    t.like(got.e && got.e.message, /ngx_http_middleware_module is not loaded/,
           'a clear error');
});


/* --- the telemetry example's span ---------------------------------------- */

function request(headers) {
    return new server.NextRequest('http://example.com/p?q=1',
                                  { headers: headers || {} });
}


function event(o) {
    var ev = { requestId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', method: 'GET',
               path: '/p', status: 200, action: 'next', decisionStatus: 200,
               decisionMs: 1, ms: 5, upstreamStatus: null, upstreamMs: null,
               bytesSent: 10, aborted: false, userId: null }, k;

    for (k in o || {}) {
        ev[k] = o[k];
    }

    return ev;
}


function spanOf(ev, req) {
    return telemetry.spanOf(ev, req || request(), { serviceName: 'svc' },
                            1700000000123).resourceSpans[0]
           .scopeSpans[0].spans[0];
}


function attr(span, key) {
    var i, v;

    for (i = 0; i < span.attributes.length; i++) {
        if (span.attributes[i].key === key) {
            v = span.attributes[i].value;
            return v.stringValue !== undefined ? v.stringValue
                   : v.intValue !== undefined ? v.intValue : v.boolValue;
        }
    }

    return undefined;
}


test('span: trace id from the request id, times in ns strings',
     function (t) {
    var s = spanOf(event());

    t.is(s.traceId, 'a1b2c3d4e5f60718293a4b5c6d7e8f90', 'trace id');
    t.ok(/^[0-9a-f]{16}$/.test(s.spanId), 'span id: 8 bytes of hex');
    t.is(s.parentSpanId, undefined, 'no parent');
    t.is(s.kind, 2, 'SERVER');
    t.is(s.endTimeUnixNano, '1700000000123000000', 'end in ns');
    t.is(s.startTimeUnixNano, '1700000000118000000', 'start: end - 5 ms');
    t.is(attr(s, 'http.response.status_code'), '200', 'status code');
    t.is(attr(s, 'url.path'), '/p', 'path');
    t.is(s.status, undefined, 'no error status');
});


test('span: 5xx and failed middleware are errors, 4xx are not',
     function (t) {
    t.is(spanOf(event({ status: 502, upstreamStatus: 502 })).status.code, 2,
         '502');
    t.is(attr(spanOf(event({ status: 502, upstreamStatus: 502 })),
              'nginx.upstream.status'), '502', 'upstream status');
    t.is(spanOf(event({ status: 404 })).status, undefined, '404');
    t.is(spanOf(event({ status: 500, action: 'error', error: 'boom' }))
         .status.message, 'boom', 'the error message');
});


test('traceparent', function (t) {
    var s, p = telemetry.parseTraceparent;

    s = spanOf(event(), request({ traceparent:
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }));
    t.is(s.traceId, '0af7651916cd43dd8448eb211c80319c', 'caller\'s trace');
    t.is(s.parentSpanId, 'b7ad6b7169203331', 'caller\'s span');

    t.is(p('00-00000000000000000000000000000000-b7ad6b7169203331-01'), null,
         'all-zero trace id');
    t.is(p('00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'), null,
         'all-zero parent');
    t.is(p('ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), null,
         'version ff');
    t.is(p('00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01'), null,
         'upper case');
    t.is(p(undefined), null, 'absent');

    s = spanOf(event({ requestId: 'not-hex' }));
    t.ok(/^[0-9a-f]{32}$/.test(s.traceId), 'no usable id: a random one');
});


tap.run();
