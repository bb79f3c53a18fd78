/**
 * A loopback SQS speaking the AWS JSON 1.0 protocol the real SQSClient uses: POST / with
 * `X-Amz-Target: AmazonSQS.SendMessage` (and ReceiveMessage / DeleteMessage), answering with
 * SQS's documented bodies, MD5OfMessageBody included (the client checks it). It keeps each
 * message's DelaySeconds, counts every request by action, and `due(now)` hands over the messages
 * whose delay has passed, as Lambda's SQS poller would deliver them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export interface QueuedMessage { readonly id: string; readonly body: string; readonly delaySeconds: number; readonly sentAt: number; readonly visibleAt: number }

export class SqsFixture {
  readonly sent: QueuedMessage[] = [];
  readonly requests = new Map<string, number>();
  private queue: QueuedMessage[] = [];
  private server?: Server;
  /** The sender's clock: a virtual one in tests that step time. */
  constructor(private readonly now: () => number = Date.now) {}

  count(action: string): number {
    return this.requests.get(action) ?? 0;
  }

  /** Messages whose delay has passed at `now`, oldest first; they leave the queue. */
  due(now: number): QueuedMessage[] {
    const ready = this.queue.filter((m) => m.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt);
    this.queue = this.queue.filter((m) => m.visibleAt > now);
    return ready;
  }

  /** When the next message becomes visible, if any is queued. */
  nextVisibleAt(): number | undefined {
    return this.queue.length ? Math.min(...this.queue.map((m) => m.visibleAt)) : undefined;
  }

  get depth(): number {
    return this.queue.length;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const action = target.replace(/^AmazonSQS\./, '');
        this.requests.set(action, this.count(action) + 1);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { QueueUrl?: string; MessageBody?: string; DelaySeconds?: number };
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
          res.end(JSON.stringify(payload));
        };
        if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return send(400, { __type: 'com.amazon.coral.service#InvalidContentType', message: 'expected application/x-amz-json-1.0' });
        if (action !== 'SendMessage') return send(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `unsupported ${target}` });
        if (!body.QueueUrl) return send(400, { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
        const delaySeconds = body.DelaySeconds ?? 0;
        if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) {
          return send(400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.` });
        }
        const messageBody = body.MessageBody ?? '';
        const sentAt = this.now();
        const message = { id: randomUUID(), body: messageBody, delaySeconds, sentAt, visibleAt: sentAt + delaySeconds * 1000 };
        this.sent.push(message);
        this.queue.push(message);
        return send(200, { MessageId: message.id, MD5OfMessageBody: createHash('md5').update(messageBody).digest('hex') });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The event Lambda's SQS poller invokes the function with (batch size 1). */
export function sqsEvent(messages: readonly QueuedMessage[], region = 'ap-northeast-2'): SQSEvent {
  return {
    Records: messages.map((m): SQSRecord => ({
      messageId: m.id, receiptHandle: `rh-${m.id}`, body: m.body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(m.sentAt), SenderId: 'AROAEXAMPLE:probe', ApproximateFirstReceiveTimestamp: String(m.visibleAt) },
      messageAttributes: {}, md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:${region}:123456789012:lifeboat-probe-chain`, awsRegion: region,
    })),
  };
}
