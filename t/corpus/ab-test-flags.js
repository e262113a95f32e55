// plain JavaScript: classes, static members, spread, for...of over a Map
import { NextResponse } from 'next/server'

class Experiment {
  static all = new Map()

  #variants
  constructor(name, variants, { weightKey = 'x-visitor' } = {}) {
    this.name = name
    this.#variants = [...variants]
    this.weightKey = weightKey
    Experiment.all.set(name, this)
  }

  get variants() {
    return this.#variants.slice()
  }

  assign(request) {
    const fromCookie = request.cookies.get(`exp-${this.name}`)?.value
    if (fromCookie && this.#variants.includes(fromCookie)) return { variant: fromCookie, fresh: false }
    const key = request.headers.get(this.weightKey) || ''
    return { variant: this.#variants[key.length % this.#variants.length], fresh: true }
  }
}

new Experiment('hero', ['blue', 'green'])
new Experiment('pricing', ['monthly', 'yearly', 'lifetime'], { weightKey: 'x-plan' })

export function middleware(request) {
  const response = NextResponse.next()
  const assigned = {}
  for (const [name, exp] of Experiment.all) {
    const { variant, fresh } = exp.assign(request)
    assigned[name] = variant
    if (fresh) response.cookies.set(`exp-${name}`, variant, { path: '/' })
  }
  response.headers.set('x-experiments', Object.entries({ ...assigned }).map(([k, v]) => `${k}=${v}`).join(';'))
  return response
}
