// P0: the floor, a middleware that only continues.

import server from 'next/server.js';

var NextResponse = server.NextResponse;

function middleware() {
    return NextResponse.next();
}

export default server.serve(middleware, { matcher: ['/dashboard/:path*'] });
