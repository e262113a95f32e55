/*
 * The demo of ./build.sh demo: the Clerk-style auth example with telemetry,
 * in front of a demo upstream, plus the upstream and the collector
 * themselves (so that the demo needs nothing but nginx).
 *
 * The JWKS is read from the demo's jwks.json on first use, once per JS
 * context (clerk.jwksFromFile: works on the njs and QuickJS engines).
 */

import server from 'next/server.js';
import clerk from 'clerk.js';
import telemetry from 'telemetry.js';


var auth = clerk.protectRoutes({
    server: server,
    jwks: clerk.jwksFromFile('@PREFIX@/jwks.json'),
    issuer: 'https://demo.clerk.test',
    authorizedParties: ['http://127.0.0.1:8080'],
    protectedRoutes: ['/dashboard(.*)', '/api/(.*)'],
    publicRoutes: ['/', '/sign-in'],
    signInUrl: '/sign-in',
    touchUrl: 'http://127.0.0.1:8082/touch'
});

var middleware = telemetry.withTelemetry(auth, {
    server: server,
    collector: 'http://127.0.0.1:8082/collect'
});

var mw = server.serve(middleware, {
    matcher: ['/((?!_next/static|favicon.ico|metrics).*)']
});


/* the demo upstream: shows what it received */

function upstream(r) {
    var h = {}, k;

    for (k in r.headersIn) {
        h[k.toLowerCase()] = r.headersIn[k];
    }

    r.headersOut['Content-Type'] = 'application/json';
    r.return(200, JSON.stringify({
        upstream: 'demo app',
        path: r.uri,
        userId: h['x-user-id'] || null,
        sessionId: h['x-session-id'] || null,
        headers: h
    }, null, 2) + '\n');
}


/* the demo collector: one info line per telemetry event in collector.log */

function collect(r) {
    ngx.log(ngx.INFO, 'COLLECT ' + r.uri + ' ' + (r.requestText || ''));
    r.return(204);
}


export default { handle: mw.handle, upstream: upstream, collect: collect };
