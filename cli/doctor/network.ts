/**
 * The DNS/TCP/TLS layer of doctor: resolve the host, open a TCP connection, and for https
 * complete a TLS handshake (certificate checked against the host name).
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { LayerResult } from './report.js';

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function checkNetwork(url: URL, timeoutMs: number): Promise<LayerResult> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let address: string;
  try {
    address = net.isIP(host) ? host : (await withTimeout(lookup(host), timeoutMs, 'DNS lookup')).address;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return {
      layer: 'network',
      status: 'fail',
      summary: `DNS lookup of ${host} failed (${code})`,
      hint: `check the host name in --url; try: getent hosts ${host}`,
      details: { host, errno: code },
    };
  }
  const started = Date.now();
  try {
    if (url.protocol === 'https:') {
      const info = await withTimeout(tlsHandshake(address, port, host), timeoutMs, 'TLS handshake');
      return {
        layer: 'network',
        status: 'pass',
        summary: `${host} resolves to ${address}; TCP ${port} open; TLS ${info.protocol} certificate valid for ${host} until ${info.validTo}`,
        details: { host, address, port, tls: info, elapsedMs: Date.now() - started },
      };
    }
    await withTimeout(tcpConnect(address, port), timeoutMs, 'TCP connect');
    return {
      layer: 'network',
      status: 'pass',
      summary: `${host} resolves to ${address}; TCP ${port} open (plain http, loopback only)`,
      details: { host, address, port, elapsedMs: Date.now() - started },
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const isTls =
      /CERT|SSL|TLS|SELF_SIGNED|ERR_TLS/i.test(code) || /certificate/i.test((err as Error).message);
    return {
      layer: 'network',
      status: 'fail',
      summary: isTls
        ? `TLS handshake with ${host}:${port} failed (${code}: ${(err as Error).message})`
        : `cannot open TCP ${address}:${port} (${code})`,
      hint: isTls
        ? 'the server certificate is not trusted for this host; fix it, or add the CA with NODE_EXTRA_CA_CERTS=ca.pem'
        : `is the server running and listening on port ${port}? try: curl -sv ${url.origin}`,
      details: { host, address, port, errno: code },
    };
  }
}

function tcpConnect(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function tlsHandshake(
  address: string,
  port: number,
  servername: string,
): Promise<{ protocol: string; subject: string; issuer: string; validTo: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port,
      servername: net.isIP(servername) ? undefined : servername,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const info = {
        protocol: socket.getProtocol() ?? 'unknown',
        subject: String(cert?.subject?.CN ?? ''),
        issuer: String(cert?.issuer?.CN ?? ''),
        validTo: cert?.valid_to ?? '',
      };
      socket.destroy();
      resolve(info);
    });
    socket.once('error', reject);
  });
}
