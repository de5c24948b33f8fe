// Obligation test helpers: a real SMTP server in-process (smtp-server) that records what it
// receives, and a gateway started in-process on an injected clock.
import { readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pino } from 'pino'
import { SMTPServer } from 'smtp-server'
import { loadConfig, startGateway, type Gateway } from '../../dist/index.js'
import type { TestClock } from '../support/clock.js'
import type { World } from './harness.js'

export interface Mail {
  to: string[]
  subject: string
  messageId: string
  text: string
}

/** Decodes what nodemailer sends for a text/plain part (7bit or quoted-printable). */
function parseMail(raw: string, to: string[]): Mail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  let body = raw.slice(split + 4)
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? ''
  if (/quoted-printable/i.test(header('Content-Transfer-Encoding'))) {
    body = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')
  }
  const subject = header('Subject').replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_m, q: string) => q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)))).replace(/\?=\s+=\?UTF-8\?Q\?/gi, '')
  return { to, subject, messageId: header('Message-ID'), text: body.replace(/\r\n/g, '\n') }
}

export class SmtpSink {
  readonly mails: Mail[] = []
  port = 0
  #server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        this.mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)))
        callback()
      })
    },
  })

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()))
    this.port = (this.#server.server.address() as AddressInfo).port
    return this
  }

  to(address: string): Mail[] {
    return this.mails.filter((m) => m.to.includes(address))
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}

export async function startOnClock(world: World, clock: TestClock): Promise<Gateway> {
  return startGateway(loadConfig({ file: world.configFile, env: {} }), { log: pino({ level: 'silent' }), clock })
}

export function smtpConfig(sink: SmtpSink): Record<string, unknown> {
  return { host: '127.0.0.1', port: sink.port, secure: false, from: 'gateway@acme.example' }
}

export async function admin(gw: Gateway, path: string, method = 'GET'): Promise<any> {
  const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: 'Bearer test-token' } })
  return res.json()
}

/**
 * devices.csv with a device_status column: every device of the world Commissioned, plus `device`
 * on `mpxn` InstalledNotCommissioned (an install-code duty once the MPxN changes supplier).
 */
export function withUncommissioned(world: World, device: string, mpxn: string): void {
  const devices = readFileSync(join(world.dir, 'devices.csv'), 'utf8').trim().split('\n')
  writeFileSync(join(world.dir, 'devices.csv'), [
    'device_id,device_type,mpxn,device_status',
    ...devices.slice(1).map((l) => `${l},Commissioned`),
    `${device},ESME,${mpxn},InstalledNotCommissioned`,
  ].join('\n') + '\n')
}
