import { NextResponse } from 'next/server'
import type { NextRequest } from 'next/server'

// locale in a cookie and a rewrite (the URL the user sees stays the same)
const SUPPORTED = new Set(['en', 'es', 'ja'])
const FALLBACK = 'en'

const firstSupported = (header: string | null): string | undefined =>
  header
    ?.split(',')
    .map((entry) => entry.split(';')[0].trim().toLowerCase().slice(0, 2))
    .find((lang) => SUPPORTED.has(lang))

export default function i18nRewrite(request: NextRequest) {
  const { nextUrl, cookies, headers } = request
  const [, first = ''] = nextUrl.pathname.split('/')
  if (SUPPORTED.has(first)) return NextResponse.next()

  const fromCookie = cookies.get('lang')?.value
  const locale = (fromCookie && SUPPORTED.has(fromCookie) ? fromCookie : undefined) ?? firstSupported(headers.get('accept-language')) ?? FALLBACK

  const url = nextUrl.clone()
  url.pathname = `/${locale}${nextUrl.pathname === '/' ? '' : nextUrl.pathname}`
  const res = NextResponse.rewrite(url)
  res.headers.set('content-language', locale)
  if (fromCookie !== locale) res.cookies.set('lang', locale, { path: '/', sameSite: 'strict' })
  return res
}

export const config = { matcher: ['/((?!api|static|.*\\..*).*)'] }
