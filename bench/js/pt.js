// PT: P plus one telemetry event per request, sent after the response by
// event.waitUntil(ngx.fetch(...)) to a sink in its own nginx process.
// @SINK@ is replaced by bench/run.

import server from 'next/server.js';
import p from 'p.js';

function middleware(request, event) {
    var res = p.middleware(request);

    event.waitUntil(ngx.fetch('@SINK@', {
        method: 'POST',
        body: JSON.stringify({ path: request.nextUrl.pathname,
                               status: res.status, t: Date.now() })
    }));

    return res;
}

export default server.serve(middleware, { matcher: ['/dashboard/:path*'] });
