/** The probe chain's queue on SQS: the region's own queue, one SendMessage per hop. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ChainQueue } from '#core/probe/chain.ts';

export class SqsChainQueue implements ChainQueue {
  constructor(private readonly client: SQSClient, private readonly queueUrl: string) {}

  async send(body: string, delaySeconds: number): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, DelaySeconds: delaySeconds }));
  }
}
