/**
 * Grouping (docs/decisions.md, "Grouping"): which events are "the same error". Pure and versioned: changing any
 * rule here changes fingerprints, so FINGERPRINT_VERSION must be bumped with it.
 *
 * fingerprint = xxh3_64(`source:error_type:route:normalized_message:top_frame`) as 16
 * lowercase hex characters, unless the client sent its own fingerprint.
 */

/**
 * 3: short hex ids (4+ characters mixing digits and a-f, object ids in braces and after
 * `@`) became placeholders. New events of a message holding such ids get a new
 * fingerprint; stored fingerprints are not rewritten.
 */
export const FINGERPRINT_VERSION = 3

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const EMAIL = /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g
// IPv6: the full eight-group form, or a compressed form with "::" and at least one digit
// (so Ruby/C++ scopes such as Foo::Bar are left alone).
const IPV6 =
  /(?<![\w:])(?=[\w:]*\d)(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}:(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4})(?![\w:])/gi
const HEX_PREFIXED = /\b0x[0-9a-f]+\b/gi
// Object ids as platforms print them: Android's `ProductFragment{5cf56d}` and
// `RecyclerView{9d8e7f6 VFED...}`, Java's and Kotlin's `toString` `Foo@1b6d3586` and
// `Job{Cancelling}@6d06d69c`. The id is the hex identity hash code, so it may be digits
// only; at least one digit keeps `{cafe}` and `@home` words.
const OBJECT_ID = /(?<=\{|\S@)(?=[0-9a-f]*\d)[0-9a-f]{1,16}\b/gi
const HEX_RUN = /\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi
// Shorter hex tokens count when they mix digits and letters (`4f2a`, `a1b2c3d`): letters
// alone are words (`cafe`, `added`, `decade`), digits alone are numbers (`<n>` below).
const HEX_MIXED = /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{4,}\b/gi
const DIGITS = /\d+/g

/** Replaces the variable parts of a message with placeholders, then lowercases and trims. */
export function normalizeMessage(message: string): string {
  return message
    .replace(UUID, '<uuid>')
    .replace(EMAIL, '<email>')
    .replace(IPV4, '<ip>')
    .replace(IPV6, '<ip>')
    .replace(HEX_PREFIXED, '<hex>')
    .replace(OBJECT_ID, '<hex>')
    .replace(HEX_RUN, '<hex>')
    .replace(HEX_MIXED, '<hex>')
    .replace(DIGITS, '<n>')
    .toLowerCase()
    .trim()
}

// Lines that head a stack but are not frames: "TypeError: x", "Traceback (most recent
// call last):", "Caused by: ...", "Exception in thread ...", "Fatal error: ...".
const HEADER_LINE = [
  /^Traceback \(most recent call last\):?$/,
  /^(Caused by|Exception in thread|Fatal error|Uncaught)\b/,
  /^[A-Za-z_$][\w$.]*(Error|Exception|Throwable|Panic|Fault)\b.*$/,
  /^[A-Za-z_$][\w$.]*: /,
  /^-{3,}/,
  /^\.\.\. \d+ more$/,
]

// Frames that belong to a platform or dependency, not to the application.
const FRAMEWORK_MARKERS = [
  'node_modules/',
  'node:internal',
  '(node:',
  'internal/',
  'UIKitCore',
  'CoreFoundation',
  'libdispatch',
  'libobjc',
  'libc++',
  'dyld',
  'Foundation',
  'SwiftUI',
  'libswiftCore',
  'GraphicsServices',
  'libsystem_',
  'java.lang.',
  'java.util.',
  'javax.',
  'jdk.internal.',
  'sun.reflect.',
  'android.',
  'androidx.',
  'com.android.',
  'dalvik.',
  'kotlin.',
  'kotlinx.',
  'okhttp3.',
  'retrofit2.',
  'com.google.gson.',
  'io.reactivex.',
  'com.apple.',
  '/site-packages/',
  '/dist-packages/',
  '/lib/python',
  '/gems/',
  '/rubygems/',
  '<frozen ',
]

// A frame line in some stack format: JS "at ...", Firefox/Safari "fn@url:1:2", Python
// 'File "x", line n', Ruby "path.rb:n:in", Swift "0  App  0x... fn + 12", Java "at a.b(C.java:1)".
const LOOKS_LIKE_FRAME = [
  /^at\s/,
  /@.*:\d+/,
  /^File ".*", line \d+/,
  /:\d+:in\s/,
  /^\d+\s+\S+\s+0x[0-9a-f]+/i,
  /\.(?:js|mjs|cjs|ts|tsx|jsx|py|rb|swift|kt|java|go|php|cs)(?::\d+|\b)/,
]

const LINE_COL = /:\d+(?::\d+)?|, line \d+| line \d+|\+ \d+$|0x[0-9a-f]+/gi
const FRAME_INDEX = /^\d+\s+/

function isFramework(line: string): boolean {
  return FRAMEWORK_MARKERS.some((m) => line.includes(m))
}

function isHeader(line: string): boolean {
  if (LOOKS_LIKE_FRAME.some((re) => re.test(line)) && !/^[A-Za-z_$][\w$.]*(Error|Exception): /.test(line)) {
    return false
  }
  return HEADER_LINE.some((re) => re.test(line))
}

/** The first application frame of a stack with line and column numbers removed, or "". */
export function topFrame(stack: string | null | undefined): string {
  if (!stack) return ''
  const lines = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !isHeader(l))
  // When some lines are recognisable frames, only those count: Python tracebacks
  // interleave frames with source lines, and those must not be taken for frames.
  const frames = lines.filter((l) => LOOKS_LIKE_FRAME.some((re) => re.test(l)))
  const candidates = frames.length > 0 ? frames : lines
  const app = candidates.find((l) => !isFramework(l)) ?? candidates[0]
  return app ? stripPosition(app) : ''
}

function stripPosition(line: string): string {
  return line.replace(FRAME_INDEX, '').replace(LINE_COL, '').replace(/\s+/g, ' ').trim()
}

export interface FingerprintInput {
  source: string
  error_type: string
  route_or_procedure?: string | null
  message: string
  stack?: string | null
}

export function fingerprintInput(e: FingerprintInput): string {
  return `${e.source}:${e.error_type}:${e.route_or_procedure ?? ''}:${normalizeMessage(e.message)}:${topFrame(e.stack)}`
}

export function hash64(input: string): string {
  return Bun.hash.xxHash3(input).toString(16).padStart(16, '0')
}

export function computeFingerprint(e: FingerprintInput): string {
  return hash64(fingerprintInput(e))
}
