// PK: P plus one telemetry event per request through sink.send() to the
// server's middleware_sink, which bench/run points at the sink process
// (batched by the module: one POST per batch, X-Middleware-Events: N).

import server from 'next/server.js';
import p from 'p.js';

function middleware(request) {
    var res = p.middleware(request);

    server.sink.send({ path: request.nextUrl.pathname, status: res.status,
                       t: Date.now() });

    return res;
}

export default server.serve(middleware, { matcher: ['/dashboard/:path*'] });
