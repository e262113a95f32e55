import { NextResponse, type NextRequest } from 'next/server'

// the same with for...of over keys(): the live list as well
export function middleware(req: NextRequest) {
  const url = req.nextUrl.clone()
  const seen: string[] = []
  for (const key of url.searchParams.keys()) {
    seen.push(key)
    if (key.startsWith('utm_')) url.searchParams.delete(key)
  }
  const res = url.search !== req.nextUrl.search ? NextResponse.rewrite(url) : NextResponse.next()
  res.headers.set('x-seen', seen.join(','))
  return res
}

export const config = { matcher: '/landing' }
