import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { ImageError } from '../errors';
import { isPrivateAddress } from './ssrf-guard';

export function refusedAddressError(hostname: string, address: string): ImageError {
  return new ImageError(
    'FETCH_URL_REFUSED',
    `refused to fetch from ${hostname}: ${address} is a private or reserved address`,
    {
      hint: 'image URLs must point to the public internet; set IMAGE_ALLOW_PRIVATE_NETWORKS=true to allow internal hosts',
    },
  );
}

/**
 * A `lookup` for the HTTP agent's sockets that resolves the hostname and drops private addresses.
 * Because the socket connects to exactly the addresses this returns, a DNS answer that changes
 * between "check" and "connect" (rebinding) cannot slip a private address through.
 */
export function guardedLookup(isAllowedHost: (hostname: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const usable = isAllowedHost(hostname)
        ? addresses
        : addresses.filter((entry: LookupAddress) => !isPrivateAddress(entry.address));
      if (usable.length === 0) {
        return callback(refusedAddressError(hostname, addresses[0]?.address ?? 'no address'), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };
}
