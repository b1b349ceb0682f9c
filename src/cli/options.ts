import { InvalidArgumentError } from 'commander';

/** Parses a TCP port option, naming the problem instead of failing later in a bind call. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`expected a port number from 1 to 65535, got "${value}"`);
  }
  return port;
}
