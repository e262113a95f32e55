/*
 * telemetry.js: one event per request, shipped after the response.
 *
 *     import server from 'next/server.js';
 *     import telemetry from 'telemetry.js';
 *
 *     export default server.serve(telemetry.withTelemetry(middleware, {
 *         server: server,
 *         collector: 'http://127.0.0.1:9000/collect'
 *     }));
 *
 * For every request the wrapped middleware handles, it records
 * { ts, requestId, method, path, status, action, userId, ms } and sends it
 * with event.waitUntil(ngx.fetch(collector, { method: 'POST', body })):
 * the response never waits for the collector, and a collector that is
 * down or slow only produces a warn line (the module's counters count the
 * rejection).  The request id is also set as a response header
 * (options.header, default "x-request-id") so a client report can be
 * joined with the event and with nginx's logs ($request_id).
 *
 * njs 0.7.9 dialect: no class, destructuring, spread, default parameters.
 */


function eventOf(request, res, requestId, start) {
    var headers = res ? res.headers : null;
    var action = 'next', status = 200;

    if (res) {
        status = res.status;

        if (headers.get('x-middleware-rewrite')) {
            action = 'rewrite';

        } else if (headers.get('location') && status >= 300 && status < 400) {
            action = 'redirect';

        } else if (!headers.get('x-middleware-next')) {
            action = 'response';
        }
    }

    return {
        ts: new Date().toISOString(),
        requestId: requestId,
        method: request.method,
        path: request.nextUrl.pathname,
        status: status,
        action: action,

        /* the user id the middleware forwards upstream, if any */
        userId: (headers && headers.get('x-middleware-request-x-user-id'))
                || null,
        ms: Date.now() - start
    };
}


function ship(collector, ev) {
    return ngx.fetch(collector, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ev)

    }).then(function (reply) {
        if (reply.status >= 300) {
            throw new Error('collector answered ' + reply.status);
        }
    });
}


function withTelemetry(middleware, options) {
    var server, collector, header;

    options = options || {};
    server = options.server;
    collector = options.collector;
    header = options.header || 'x-request-id';

    if (!server || !collector) {
        throw new TypeError('withTelemetry: options.server and '
                            + 'options.collector are required');
    }

    return async function (request, event) {
        var start = Date.now(), res, ctx, requestId;

        ctx = server.getRequestExecutionContext();
        requestId = ctx ? ctx.requestId : '';

        try {
            res = await middleware(request, event);

        } catch (e) {
            /* still record the failure, then let the module handle it */
            event.waitUntil(ship(collector, {
                ts: new Date().toISOString(), requestId: requestId,
                method: request.method, path: request.nextUrl.pathname,
                status: 500, action: 'error', userId: null,
                ms: Date.now() - start, error: String(e && e.message || e)
            }));
            throw e;
        }

        if (!res) {
            res = server.NextResponse.next();
        }

        if (requestId) {
            res.headers.set(header, requestId);
        }

        event.waitUntil(ship(collector, eventOf(request, res, requestId,
                                                start)));

        return res;
    };
}


export default { withTelemetry: withTelemetry };
