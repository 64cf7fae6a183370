import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TopicNotification {
  readonly topicArn: string;
  readonly message: string;
  readonly subject?: string;
  readonly receivedAt: Date;
}

/**
 * A human's inbox for the stack's topic, locally: an HTTP endpoint subscribed to the topic in moto (which
 * really POSTs each notification, as SNS does to an http subscriber), keeping the latest notifications.
 */
export class NotificationInbox {
  readonly received: TopicNotification[] = [];
  private readonly server: http.Server;

  constructor(private readonly onNotification: (n: TopicNotification) => void, private readonly keep = 100) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200).end();
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
          if (body.Type !== 'Notification') return;
          const notification = { topicArn: body.TopicArn ?? '', message: body.Message ?? '', subject: body.Subject || undefined, receivedAt: new Date() };
          this.received.push(notification);
          if (this.received.length > this.keep) this.received.shift();
          this.onNotification(notification);
        } catch {
          // Not an SNS message: nothing to show.
        }
      });
    });
  }

  async subscribe(sns: SNSClient, topicArn: string): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${port}/` }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
