// bench middleware: the smallest real one (reads a cookie, continues)
import server from 'next/server.js';
var NextResponse = server.NextResponse;

function middleware(request) {
    var s = request.cookies.get('__session');
    var res = NextResponse.next();
    res.headers.set('x-session', s ? 'yes' : 'no');
    return res;
}

function auth(r) {
    // the stock baseline: auth_request to a js_content location
    r.return(204);
}

var handler = server.serve(middleware, { matcher: ['/mw/:path*'] });

function raw(r) {
    // the module's own cost: a hand-written decision, no runtime
    r['return'](200, 'MW1 200\nx-middleware-next:1\nx-session:yes\n\n');
}

export default { handle: handler.handle, auth: auth, raw: raw };
