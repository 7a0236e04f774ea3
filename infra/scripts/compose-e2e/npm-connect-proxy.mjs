// The e2e's only way out of its network namespace, for the image build's `npm ci`: an HTTP CONNECT
// proxy on a Unix socket (the namespace reaches it through socat) that opens tunnels to the npm
// registry's host on port 443 and refuses everything else, so no other packet leaves the machine.
// Usage: node npm-connect-proxy.mjs SOCKET_PATH REGISTRY_HOST
import { createServer, connect } from 'node:net';
import { rmSync } from 'node:fs';

const [socketPath, allowedHost] = process.argv.slice(2);
if (!socketPath || !allowedHost) {
  process.stderr.write('usage: node npm-connect-proxy.mjs SOCKET_PATH REGISTRY_HOST\n');
  process.exit(2);
}

const server = createServer((client) => {
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 16_384) client.destroy();
      return;
    }
    client.off('data', onData);
    const [method, target] = head.subarray(0, end).toString('latin1').split('\r\n')[0].split(' ');
    const [host, port] = (target ?? '').split(':');
    if (method !== 'CONNECT' || host !== allowedHost || port !== '443') {
      process.stderr.write(`[npm-connect-proxy] refused ${method} ${target}\n`);
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(443, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const rest = head.subarray(end + 4);
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  };
  client.on('data', onData);
  client.on('error', () => client.destroy());
});

rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.stderr.write(`[npm-connect-proxy] tunnels to ${allowedHost}:443 only\n`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
