/**
 * A loopback SSM Parameter Store speaking the awsJson1_1 protocol the real SSMClient uses:
 * POST / with `X-Amz-Target: AmazonSSM.GetParameter`. Answers with SSM's documented bodies,
 * including `ParameterNotFound` and `ThrottlingException` errors; records each request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmRequest { readonly target: string; readonly name?: string; readonly withDecryption?: boolean; readonly authorization?: string }

export class SsmFixture {
  readonly requests: SsmRequest[] = [];
  private readonly params = new Map<string, string>();
  private throttleNext = 0;
  private server?: Server;

  put(name: string, value: string): this {
    this.params.set(name, value);
    return this;
  }

  throttle(count: number): void {
    this.throttleNext = count;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Name?: string; WithDecryption?: boolean };
        this.requests.push({ target, ...(body.Name !== undefined ? { name: body.Name } : {}), ...(body.WithDecryption !== undefined ? { withDecryption: body.WithDecryption } : {}), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `ssm-${this.requests.length}` });
          res.end(JSON.stringify(payload));
        };
        if (this.throttleNext > 0) {
          this.throttleNext--;
          return send(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
        }
        if (target !== 'AmazonSSM.GetParameter') return send(400, { __type: 'InvalidAction', message: `unsupported ${target}` });
        const value = body.Name === undefined ? undefined : this.params.get(body.Name);
        if (value === undefined) return send(400, { __type: 'ParameterNotFound', message: '' });
        return send(200, {
          Parameter: {
            Name: body.Name, Type: 'SecureString', Value: body.WithDecryption ? value : 'AQICAHencryptedblob==', Version: 1,
            LastModifiedDate: 1.7e9, ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${body.Name}`, DataType: 'text',
          },
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
