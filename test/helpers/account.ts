// The account and region the test servers and the service tests' request context run as, and queue ARNs in them.

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

/** The ARN of the queue called `name` in ACCOUNT and REGION. */
export const arnOf = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
