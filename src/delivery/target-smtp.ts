import nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'
import type { SpoolItem } from '../store/index.js'
import { ukDeadlineWords } from '../obligations/index.js'
import { noticeJson, type NoticeJson } from './target-notice.js'
import type { AttemptResult } from './types.js'

export interface SmtpOptions {
  host: string
  port: number
  secure: boolean
  rejectUnauthorized: boolean
  from: string
  user: string
  pass: string
  timeoutMs: number
}

/**
 * E-mail notices by SMTP (nodemailer): the plain-text rendering of a spooled notice to the
 * contacts of its level (SEC "Managing Critical Alerts": e-mail, human readable). A 5xx SMTP
 * reply (mailbox unknown, relaying denied) is a rejection; anything else is retried. The
 * Message-ID is stable per obligation and level, so a resend after a crash can be recognised.
 */
export class SmtpSender {
  readonly label = 'email'
  #transport: Transporter
  #from: string

  constructor(o: SmtpOptions) {
    this.#from = o.from
    this.#transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure,
      ...(o.user !== '' && { auth: { user: o.user, pass: o.pass } }),
      tls: { rejectUnauthorized: o.rejectUnauthorized },
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
    })
  }

  async send(item: SpoolItem, to: readonly string[]): Promise<AttemptResult> {
    const n = noticeJson(item.body)
    try {
      await this.#transport.sendMail({
        from: this.#from,
        to: [...to],
        subject: subjectOf(n),
        text: String(n.text ?? ''),
        messageId: `<${String(n.obligationId ?? item.id)}.${String(n.level ?? 0)}@dcc-alert-gateway>`,
        headers: {
          'X-DCC-Gateway-Obligation': String(n.obligationId ?? ''),
          'X-DCC-Gateway-Contact-Level': String(n.contactLevel ?? 'primary'),
          'Auto-Submitted': 'auto-generated',
        },
      })
      return { outcome: 'ok' }
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string }
      const error = `SMTP ${e.responseCode ?? e.code ?? ''}: ${e.message ?? String(err)}`.slice(0, 500)
      return e.responseCode !== undefined && e.responseCode >= 500 ? { outcome: 'rejected', error } : { outcome: 'retry', error }
    }
  }

  close(): Promise<void> {
    this.#transport.close()
    return Promise.resolve()
  }
}

function subjectOf(n: NoticeJson): string {
  const escalation = n.escalatedFrom !== undefined ? '[ESCALATION] ' : ''
  const due = Date.parse(String(n.acknowledgeBy ?? ''))
  const by = `acknowledge by ${Number.isNaN(due) ? 'unknown' : ukDeadlineWords(due)}`
  if (n.type === 'critical-quarantined') return `${escalation}Quarantined critical alert ${String(n.alertCode ?? '')} ${String(n.alertName ?? '')}: act on it (${by})`
  if (n.type === 'install-code') return `${escalation}Install code needed: MPxN ${String(n.mpxn ?? 'unknown')}, device ${String(n.deviceId ?? '')} (${by})`
  return `${escalation}Critical alert ${String(n.alertCode ?? '')} ${String(n.alertName ?? '')}: MPxN ${String(n.mpxn ?? 'unknown')} (${by})`
}
