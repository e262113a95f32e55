// P: the B2 logic written as a Next.js user writes middleware.ts, against
// this project's next/server.js.

import server from 'next/server.js';
import jwt from 'jwt.js';

var NextResponse = server.NextResponse;

function middleware(request) {
    var session = request.cookies.get('__session');
    var url = request.nextUrl;
    var headers = new Headers(request.headers);
    var sub = null;

    headers.delete('x-user-id');            // never trust a client-sent one

    if (jwt.isProtected(url.pathname)) {
        if (session) {
            sub = jwt.subject(session.value, Date.now() / 1000);
        }

        if (sub === null) {
            return NextResponse.redirect(new URL('/sign-in?redirect_url='
                + encodeURIComponent(url.pathname + url.search), request.url),
                307);
        }

        headers.set('x-user-id', sub);
    }

    return NextResponse.next({ request: { headers: headers } });
}

var served = server.serve(middleware, { matcher: ['/dashboard/:path*'] });

export default { handle: served.handle, middleware: middleware };
