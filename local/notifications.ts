import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatedClock } from './clock.js';
import { alarmOfNotification, describeNotification } from './cloudwatch/alarm-notification.js';
import { printableLine } from './printable.js';
import { withRealTime } from './time-scale-text.js';

export interface TopicNotification {
  readonly topicArn: string;
  readonly message: string;
  readonly subject?: string;
  readonly receivedAt: Date;
}

/**
 * A notification as one printable line: `NOTIFICATION <text>`, an alarm's JSON shown as `ALARM: "name" … — reason`,
 * simulated durations with their real time beside them. CloudWatch's alarm notifications are cut to `columns` (the
 * terminal's width; the whole message stays in `status --json`); any other message, a drain confirmation, is what
 * a person subscribed for and is shown whole.
 */
export function notificationLine(n: Pick<TopicNotification, 'message' | 'subject'>, clock: SimulatedClock, columns?: number): string {
  const line = `NOTIFICATION ${withRealTime(printableLine(describeNotification(n.message, n.subject)), clock)}`;
  return columns !== undefined && alarmOfNotification(n.message) ? printableLine(line, columns) : line;
}

/** SNS messages are at most 256 KiB; with the JSON envelope a delivery stays well under this. */
const MAX_DELIVERY_BYTES = 1024 * 1024;

/**
 * A human's inbox for the stack's topic, locally: an HTTP endpoint subscribed to the topic in moto (which
 * really POSTs each notification, as SNS does to an http subscriber), keeping the latest notifications.
 *
 * Any local user can reach a loopback port, so the inbox accepts only what the local SNS delivers: POSTs to
 * the subscription URL, whose path carries a random secret only the subscription knows, for the subscribed
 * topic. Everything else is answered 404 and never shown. What is kept is the message as sent; printing it is
 * the printer's business (`printableLine`).
 */
export class NotificationInbox {
  readonly received: TopicNotification[] = [];
  private readonly server: http.Server;
  private readonly path = `/sns/${randomBytes(24).toString('hex')}`;
  private topicArn?: string;

  constructor(private readonly onNotification: (n: TopicNotification) => void, private readonly keep = 100) {
    this.server = http.createServer((req, res) => this.receive(req, res));
  }

  /** Listens on a free loopback port and subscribes its secret URL to `topicArn`. */
  async subscribe(sns: Pick<SNSClient, 'send'>, topicArn: string): Promise<void> {
    this.topicArn = topicArn;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${port}${this.path}` }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST' || req.url !== this.path) {
      res.writeHead(404, { connection: 'close' }).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_DELIVERY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_DELIVERY_BYTES) {
        res.writeHead(413).end();
        return;
      }
      res.writeHead(200).end();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return; // not an SNS message: nothing to show
      }
      const topicArn = this.topicArn;
      if (body.Type !== 'Notification' || topicArn === undefined || body.TopicArn !== topicArn || typeof body.Message !== 'string') return;
      const subject = typeof body.Subject === 'string' && body.Subject !== '' ? body.Subject : undefined;
      const notification = { topicArn, message: body.Message, subject, receivedAt: new Date() };
      this.received.push(notification);
      if (this.received.length > this.keep) this.received.shift();
      this.onNotification(notification);
    });
  }
}
