/**
 * Email through nodemailer and the `[smtp]` config: a subject naming what broke, and
 * plain-text and HTML bodies that say the same thing, both with the link to the issue.
 *
 * Transport security follows `smtp.starttls`: true requires a STARTTLS upgrade; false
 * means implicit TLS on port 465, or a plain local relay on any other port.
 */
import nodemailer, { type Transporter } from 'nodemailer'
import type { Config } from '../../config/schema'
import { type AlertPayload, oneLine, triggerText } from '../message'
import { type AttemptResult, failure } from './http'

export interface EmailContent {
  subject: string
  text: string
  html: string
}

const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')

export function emailContent(p: AlertPayload): EmailContent {
  const issue = p.issue
  const subject = `[bloop] ${oneLine(p.summary, 150)}`
  if (!issue && p.event === 'alert.fired') {
    const text = `${p.summary}\n\nRule: ${p.rule.name}\nProject: ${p.project.name}\n`
    return {
      subject,
      text,
      html: `<p><strong>${escapeHtml(p.summary)}</strong></p><p>Rule: ${escapeHtml(p.rule.name)}<br>Project: ${escapeHtml(p.project.name)}</p>`,
    }
  }
  if (!issue) {
    const text = `${p.summary}\n\nIf you can read this, email alerts from bloop reach you.\n`
    return {
      subject,
      text,
      html: `<p><strong>${escapeHtml(p.summary)}</strong></p><p>If you can read this, email alerts from bloop reach you.</p>`,
    }
  }
  const facts: [string, string][] = [
    ['Project', p.project.name],
    ['Rule', p.rule.name],
    ['Error', `${issue.error_type}: ${issue.message}`],
    ['Counts', triggerText(p)],
    ['Release', issue.releases.join(', ')],
    ['Environment', issue.environments.join(', ')],
    ['Source', issue.source],
  ]
  if (issue.route_or_procedure) facts.push(['Route', issue.route_or_procedure])
  if (issue.assignee) facts.push(['Assigned to', issue.assignee])
  facts.push(['Fingerprint', issue.fingerprint])
  const text = [
    p.summary,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    `Open the issue: ${issue.url}`,
    '',
    `You receive this because the bloop alert rule "${p.rule.name}" has an email channel.`,
    '',
  ].join('\n')
  const rows = facts
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')
  const html =
    `<p><strong>${escapeHtml(p.summary)}</strong></p><table>${rows}</table>` +
    `<p><a href="${escapeHtml(issue.url)}">Open the issue in bloop</a></p>` +
    `<p><small>You receive this because the bloop alert rule "${escapeHtml(p.rule.name)}" has an email channel.</small></p>`
  return { subject, text, html }
}

type Smtp = Config['smtp']

export class Mailer {
  private transport: Transporter | null = null

  constructor(
    private readonly smtp: Smtp,
    private readonly timeoutMs: number,
  ) {}

  private transporter(): Transporter {
    if (this.transport) return this.transport
    const implicitTls = !this.smtp.starttls && this.smtp.port === 465
    this.transport = nodemailer.createTransport({
      host: this.smtp.host,
      port: this.smtp.port,
      secure: implicitTls,
      requireTLS: this.smtp.starttls,
      ignoreTLS: !this.smtp.starttls && !implicitTls,
      auth: this.smtp.username ? { user: this.smtp.username, pass: this.smtp.password } : undefined,
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
      dnsTimeout: this.timeoutMs,
    })
    return this.transport
  }

  async send(to: string, content: EmailContent, headers: Record<string, string>): Promise<AttemptResult> {
    if (!this.smtp.enabled) {
      return failure('email is not configured: set [smtp] enabled = true and the relay settings', {
        retryable: false,
      })
    }
    try {
      const info = await this.transporter().sendMail({
        from: this.smtp.from,
        to,
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers,
      })
      const reply = String(info.response ?? '')
      return {
        ok: true,
        refused: false,
        retryable: false,
        status_code: smtpCode(reply),
        response: reply || null,
        error: null,
      }
    } catch (err) {
      const e = err as Error & { responseCode?: number; response?: string; code?: string }
      const code = e.responseCode ?? null
      return failure(`SMTP ${e.code ? `${e.code}: ` : ''}${e.message}`, {
        // 5xx replies are permanent; 4xx and connection trouble may pass on a later attempt.
        retryable: code === null || code < 500,
        status_code: code,
        response: e.response ?? null,
      })
    }
  }

  close(): void {
    this.transport?.close()
    this.transport = null
  }
}

function smtpCode(reply: string): number | null {
  const m = /^(\d{3})/.exec(reply)
  return m ? Number(m[1]) : null
}
