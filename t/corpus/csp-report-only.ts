import { NextResponse, type NextRequest } from 'next/server'

// a report-only CSP with a per-request nonce handed to the app
const directives: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'connect-src': ["'self'", 'https://api.example.com'],
  'report-uri': ['/csp-report'],
}

function policy(nonce: string): string {
  return Object.entries(directives)
    .map(([name, values]) => [name, ...(name === 'script-src' ? [...values, `'nonce-${nonce}'`] : values)].join(' '))
    .join('; ')
}

export function middleware(request: NextRequest) {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  const nonce = btoa(String.fromCharCode(...bytes))

  const headers = new Headers(request.headers)
  headers.set('x-nonce', nonce)
  const res = NextResponse.next({ request: { headers } })
  res.headers.set('content-security-policy-report-only', policy(nonce))
  return res
}

export const config = { matcher: '/app/:path*' }
