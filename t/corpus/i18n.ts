import { NextResponse, type NextRequest } from 'next/server'

const locales = ['en', 'de', 'fr', 'pt-BR'] as const
const defaultLocale = 'en'

class LanguageNegotiator {
  private readonly supported: readonly string[]
  constructor(supported: readonly string[]) {
    this.supported = supported
  }

  // Accept-Language without Intl: q-values, then a prefix match
  negotiate(header: string | null): string {
    const ranges = (header ?? '')
      .split(',')
      .map((part, index) => {
        const [tag, ...params] = part.trim().split(';')
        const q = params.find((p) => p.trim().startsWith('q='))
        return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1, index }
      })
      .filter(({ tag, q }) => tag && q > 0)
      .sort((a, b) => b.q - a.q || a.index - b.index)

    for (const { tag } of ranges) {
      const exact = this.supported.find((l) => l.toLowerCase() === tag)
      if (exact) return exact
      const prefix = this.supported.find((l) => l.toLowerCase().split('-')[0] === tag.split('-')[0])
      if (prefix) return prefix
    }
    return defaultLocale
  }
}

const negotiator = new LanguageNegotiator(locales)

export function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  const hasLocale = locales.some((l) => pathname.startsWith(`/${l}/`) || pathname === `/${l}`)
  if (hasLocale) return

  const locale = request.cookies.get('NEXT_LOCALE')?.value ?? negotiator.negotiate(request.headers.get('accept-language'))
  request.nextUrl.pathname = `/${locale}${pathname}`
  return NextResponse.redirect(request.nextUrl)
}

export const config = {
  matcher: ['/((?!_next|api|favicon.ico).*)'],
}
