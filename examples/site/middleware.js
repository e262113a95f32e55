/*
 * /etc/nginx/middleware.js: a small middleware for the example site
 * (examples/site/middleware-site.conf).  Signed out on /dashboard: a
 * redirect to /sign-in; otherwise the upstream gets x-request-path.
 */

import server from 'next/server.js';
var NextResponse = server.NextResponse;

function middleware(request, event) {
    if (request.nextUrl.pathname.indexOf('/dashboard') === 0
        && !request.cookies.get('__session'))
    {
        var url = request.nextUrl.clone();
        url.pathname = '/sign-in';
        return NextResponse.redirect(url);
    }

    var headers = new server.Headers(request.headers);
    headers.set('x-request-path', request.nextUrl.pathname);

    return NextResponse.next({ request: { headers: headers } });
}

export default server.serve(middleware, {
    matcher: ['/((?!_next/static|favicon.ico).*)']
});
