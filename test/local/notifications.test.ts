import { CreateTopicCommand, PublishCommand, type SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/status/format.js';
import type { FleetSnapshot } from '../../cli/fleet-snapshot.js';
import { createClients, destroyClients, type AwsClients } from '../../local/deploy/clients.js';
import { startMoto, type MotoServer } from '../../local/moto-server.js';
import { NotificationInbox, type TopicNotification } from '../../local/notifications.js';
import { printable, printableLine } from '../../local/printable.js';
import { waitFor } from '../../harness/wait-for.js';

const HOSTILE = 'Spot warning\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[2J\u001b[31mRED\r\n  instance i-0 terminated\u009b31m\u202eevil';

describe('printable', () => {
  it('removes what a terminal acts on and keeps the text', () => {
    expect(printable(HOSTILE)).toBe('Spot warning]52;c;ZWNobyBwd25lZA==[2J[31mRED\n  instance i-0 terminated31mevil');
    expect(printableLine(HOSTILE)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(printableLine('a\n\n b\tc', 3)).toBe('a …');
  });

  it('status shows a forged notification as plain text', () => {
    const snapshot: FleetSnapshot = {
      at: '2025-01-01T00:00:00.000Z', target: 'local', stackName: 'SpotWeb', url: 'http://127.0.0.1:8080', fleetRequestId: 'sfr-1',
      fleetState: 'active', targetCapacity: 0, fulfilledCapacity: 0, instances: [],
      notifications: [{ receivedAt: '2025-01-01T00:00:00.000Z', subject: 'x\u001b[1m', message: HOSTILE }],
    };
    expect(formatStatus(snapshot)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });
});

describe('NotificationInbox', () => {
  let moto: MotoServer;
  let clients: AwsClients;
  let inbox: NotificationInbox | undefined;
  beforeAll(async () => {
    moto = await startMoto();
    clients = createClients({ endpoint: moto.endpoint, region: 'us-east-1' });
  });
  afterEach(async () => inbox?.close());
  afterAll(async () => {
    destroyClients(clients);
    await moto?.stop();
  });

  /** Subscribes an inbox to a fresh topic and returns the URL it subscribed (read back from SNS). */
  async function subscribed(name: string): Promise<{ received: TopicNotification[]; topicArn: string; url: string }> {
    const received: TopicNotification[] = [];
    inbox = new NotificationInbox((n) => received.push(n));
    const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
    let url = '';
    await inbox.subscribe({ send: (command: SubscribeCommand) => ((url = command.input.Endpoint!), clients.sns.send(command)) } as never, topicArn);
    return { received, topicArn, url };
  }

  it('shows what the local SNS delivers to its subscription', async () => {
    const { received, topicArn } = await subscribed('inbox-delivered');
    await clients.sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'instance i-1 draining', Subject: 'Spot' }));
    await waitFor('the notification', () => received.length === 1, 5_000);
    expect(received[0]).toMatchObject({ topicArn, message: 'instance i-1 draining', subject: 'Spot' });
  });

  it('refuses a forged POST: without the secret path, or for another topic', async () => {
    const { received, topicArn, url } = await subscribed('inbox-forged');
    const { origin, pathname } = new URL(url);
    expect(pathname).toMatch(/^\/sns\/[0-9a-f]{48}$/);
    const forged = (body: object, path: string) => fetch(`${origin}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const message = { Type: 'Notification', TopicArn: topicArn, Message: HOSTILE };
    expect((await forged(message, '/')).status).toBe(404);
    expect((await forged(message, '/sns/guess')).status).toBe(404);
    await forged({ ...message, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' }, pathname);
    expect((await fetch(`${origin}${pathname}`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) })).status).toBe(413);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);
  });
});
