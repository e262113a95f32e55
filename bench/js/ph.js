// PH: the cost of forwarding request headers, NextResponse.next() with
// a copy of every request header plus one (bench/run sends 10, 500, 990).

import server from 'next/server.js';

var NextResponse = server.NextResponse;

function middleware(request) {
    var headers = new Headers(request.headers);

    headers.set('x-user-id', 'bench');

    return NextResponse.next({ request: { headers: headers } });
}

export default server.serve(middleware, { matcher: ['/dashboard/:path*'] });
