// MPAN / MPRN check digits (the published MPAN core and MPRN algorithms; values checked against published examples in check-digits.test.ts).
// A failure is a counted warning, never a rejection: real test data fails (DCC Boxed's
// template MPAN 1312345678333).

// MPAN core: 2-digit distributor ID, 10 digits, check digit.
// cd = (Σ d[i]·P[i]) mod 11 mod 10 over the first 12 digits; the primes skip 11.
const MPAN_P = [3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43]

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return s.length > 0
}

/** True when `s` is a 13-digit MPAN core whose last digit is the right check digit. */
export function checkMpan(s: string): boolean {
  if (s.length !== 13 || !isDigits(s)) return false
  let sum = 0
  for (let i = 0; i < 12; i++) sum += (s.charCodeAt(i) - 48) * MPAN_P[i]!
  return (sum % 11) % 10 === s.charCodeAt(12) - 48
}

/**
 * True when `s` is an MPRN whose last two digits are the check: for base b (all but the last
 * two digits) of length L, s = Σ b[i]·(L−i), check = s mod 11 written as two digits ("10" occurs).
 */
export function checkMprn(s: string): boolean {
  if (s.length < 3 || s.length > 10 || !isDigits(s)) return false
  const L = s.length - 2
  let sum = 0
  for (let i = 0; i < L; i++) sum += (s.charCodeAt(i) - 48) * (L - i)
  const check = (s.charCodeAt(L) - 48) * 10 + (s.charCodeAt(L + 1) - 48)
  return sum % 11 === check
}

/** 13 digits: MPAN rule; up to 10: MPRN rule; 11–12 digits are neither and always fail. */
export function checkMpxn(s: string): boolean {
  return s.length === 13 ? checkMpan(s) : checkMprn(s)
}

const digits = new Uint8Array(13)
/** checkMpxn on a numeric MPxN key (keys.ts), without building the string. */
export function checkMpxnKey(k: number): boolean {
  const len = Math.floor(k / 1e13)
  let v = k - len * 1e13
  for (let i = len - 1; i >= 0; i--) {
    const q = Math.floor(v / 10)
    digits[i] = v - q * 10
    v = q
  }
  if (len === 13) {
    let sum = 0
    for (let i = 0; i < 12; i++) sum += digits[i]! * MPAN_P[i]!
    return (sum % 11) % 10 === digits[12]
  }
  if (len < 3 || len > 10) return false
  const L = len - 2
  let sum = 0
  for (let i = 0; i < L; i++) sum += digits[i]! * (L - i)
  return sum % 11 === digits[L]! * 10 + digits[L + 1]!
}
