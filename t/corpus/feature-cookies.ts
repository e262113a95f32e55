import { NextResponse, type NextRequest } from 'next/server'

type Flags = { newCheckout?: boolean; beta?: boolean; theme?: 'light' | 'dark' }
const DEFAULTS: Required<Flags> = { newCheckout: false, beta: false, theme: 'light' }

function readFlags(request: NextRequest): Required<Flags> {
  const raw = request.cookies.get('flags')?.value
  let parsed: Flags = {}
  try {
    parsed = raw ? (JSON.parse(raw) as Flags) : {}
  } catch {
    parsed = {}
  }
  return { ...DEFAULTS, ...parsed }
}

export function middleware(request: NextRequest) {
  const flags = readFlags(request)
  const snapshot = structuredClone(flags)
  snapshot.beta = !snapshot.beta

  const url = request.nextUrl.clone()
  if (flags.newCheckout && url.pathname === '/checkout') {
    url.pathname = '/checkout-v2'
  }
  const res = url.pathname !== request.nextUrl.pathname ? NextResponse.rewrite(url) : NextResponse.next()

  const enabled = Object.entries(flags)
    .filter(([, v]) => v === true)
    .map(([k]) => k)
  res.headers.set('x-flags', enabled.join(',') || 'none')
  res.headers.set('x-theme', flags.theme)
  res.headers.set('x-snapshot-differs', String(snapshot.beta !== flags.beta))
  res.headers.append('x-multi', 'a')
  res.headers.append('x-multi', 'b')
  if (!request.cookies.has('flags')) {
    res.cookies.set({ name: 'flags', value: JSON.stringify(DEFAULTS), path: '/', httpOnly: true })
  }
  return res
}
