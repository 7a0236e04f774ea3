import type { LookupAddress } from 'node:dns';
import { ImageError } from '../errors';
import { guardedLookup } from './guarded-lookup';
import { ImageFetcher } from './image-fetcher';
import { embeddedIpv4, isPrivateAddress } from './ssrf-guard';

/** IPv6 addresses that carry a private IPv4 address and so lead to it (through NAT64, 6to4, Teredo...). */
const EMBEDDED_PRIVATE: [form: string, address: string][] = [
  ['IPv4-mapped, dotted', '::ffff:127.0.0.1'],
  ['IPv4-mapped, hex', '::ffff:7f00:1'],
  ['IPv4-mapped, metadata', '::ffff:a9fe:a9fe'],
  ['IPv4-mapped, full form', '0:0:0:0:0:ffff:7f00:0001'],
  ['IPv4-mapped, upper case', '::FFFF:A9FE:A9FE'],
  ['IPv4-translated', '::ffff:0:10.0.0.1'],
  ['IPv4-compatible, dotted', '::127.0.0.1'],
  ['IPv4-compatible, hex', '::a9fe:a9fe'],
  ['IPv4-compatible, 10/8', '::10.1.2.3'],
  ['NAT64, metadata', '64:ff9b::a9fe:a9fe'],
  ['NAT64, dotted', '64:ff9b::169.254.169.254'],
  ['NAT64, loopback', '64:ff9b::7f00:1'],
  ['NAT64, full form', '0064:ff9b:0000:0000:0000:0000:c0a8:0101'],
  ['NAT64 local-use /48', '64:ff9b:1::a9fe:a9fe'],
  ['NAT64 local-use /48, any position', '64:ff9b:1:a9fe:a9:fe00::'],
  ['6to4, loopback', '2002:7f00:1::'],
  ['6to4, metadata with an interface id', '2002:a9fe:a9fe:1::1'],
  ['6to4, 192.168/16', '2002:c0a8:0101::1'],
  ['Teredo, private server', '2001:0:a00:1::'],
  ['Teredo, obfuscated loopback client', '2001:0:808:808:0:0:80ff:fffe'],
  ['Teredo, obfuscated metadata client', '2001::808:808:0:0:5601:5601'],
  ['link-local with a zone', 'fe80::1%eth0'],
  ['site-local (deprecated)', 'fec0::1'],
  ['documentation', '2001:db8::1'],
];

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '[::1]',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(EMBEDDED_PRIVATE)('refuses %s (%s)', (_form, address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    // Teredo with a public server (8.8.8.8) and a public client (1.1.1.1, stored inverted).
    '2001:0:808:808::fefe:fefe',
    '2a00:1450:4001:81c::200e',
  ])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('embeddedIpv4', () => {
  it.each([
    ['64:ff9b::a9fe:a9fe', ['169.254.169.254']],
    ['::ffff:7f00:1', ['127.0.0.1']],
    ['::ffff:0:10.0.0.1', ['10.0.0.1']],
    ['::192.168.0.1', ['192.168.0.1']],
    ['2002:c0a8:0101::1', ['192.168.1.1']],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45']],
    ['2606:4700:4700::1111', []],
    ['not-an-ip', []],
  ])('%s carries %j', (address, expected) => {
    expect(embeddedIpv4(address)).toEqual(expected);
  });
});

/**
 * At the lookup boundary: the socket connects only to what the guarded lookup returns, so a name
 * resolving to these addresses is refused before any connection. An IP literal "resolves" to itself
 * without DNS, so no query or packet leaves the host.
 */
describe('guardedLookup refuses embedded private IPv4', () => {
  const lookup = guardedLookup(() => false);

  function resolve(hostname: string): Promise<LookupAddress[]> {
    return new Promise((done, fail) =>
      lookup(hostname, { all: true }, (error, addresses) =>
        error ? fail(error) : done(addresses as unknown as LookupAddress[]),
      ),
    );
  }

  it.each(EMBEDDED_PRIVATE.filter(([, address]) => !address.includes('%')))('%s (%s)', async (_form, address) => {
    const error = await resolve(address).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe('FETCH_URL_REFUSED');
  });

  it('passes a public NAT64 address through', async () => {
    expect(await resolve('64:ff9b::808:808')).toEqual([{ address: '64:ff9b::808:808', family: 6 }]);
  });
});

describe('ImageFetcher refuses URLs with embedded private IPv4 before connecting', () => {
  const fetcher = new ImageFetcher({
    connectTimeoutMs: 500,
    headersTimeoutMs: 500,
    bodyTimeoutMs: 500,
    maxBytes: 1_000,
    maxRedirects: 0,
    perHostConcurrency: 1,
    allowPrivateNetworks: false,
    userAgent: 'vectorizer-test',
  });
  afterAll(() => fetcher.close());

  // Only IPv4-mapped loopback forms here: were the guard broken, the attempt would still stay on this host.
  // The other forms go through the same isPrivateAddress, tested above without any socket.
  it.each(['http://[::ffff:7f00:1]:9/', 'http://[0:0:0:0:0:ffff:127.0.0.1]:9/', 'http://[::ffff:0:7f00:1]:9/'])(
    '%s',
    async (url) => {
      const error = await fetcher.fetch(url).catch((caught: unknown) => caught);
      expect((error as ImageError).code).toBe('FETCH_URL_REFUSED');
    },
  );
});
