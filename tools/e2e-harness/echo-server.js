#!/usr/bin/env node
// Switchyard e2e backend: an HTTP + WebSocket echo server with no dependencies.
//
// HTTP: every request (any method, any path) gets 200 and a JSON body
//   { task, hostname, method, path, headers, body }
// where `task` is $ECHO_TASK (e2e services set it to {{.Task.Name}}) or the hostname.
// GET /status/<code> answers with that status code (same JSON body), to test error handling.
//
// WebSocket: an upgrade on any path is accepted; the server first sends one text message with the
// same JSON (minus body), then echoes every text/binary message back unchanged, answers pings and
// closes when asked. Frames up to 1 MiB; fragmented messages are echoed frame by frame.
//
// Environment: PORT (default 8080), ECHO_TASK, ECHO_DRAIN_MS. SIGTERM/SIGINT stop it at once (fast
// test cleanup), or, with ECHO_DRAIN_MS, after serving that long still, as an application behind a
// load balancer should: the load balancer learns that the task stopped only after Swarm told it.
'use strict';
/* global require, process, Buffer, setTimeout */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, runs without a build step */

const http = require('node:http');
const os = require('node:os');
const crypto = require('node:crypto');

const port = Number(process.env.PORT || 8080);
const task = process.env.ECHO_TASK || os.hostname();
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_FRAME = 1024 * 1024;

function describe(req) {
  return { task, hostname: os.hostname(), method: req.method, path: req.url, headers: req.headers };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_FRAME) chunks.push(chunk);
  });
  req.on('end', () => {
    const match = /^\/status\/(\d{3})(?:[/?]|$)/.exec(req.url || '');
    const status = match ? Number(match[1]) : 200;
    const body = JSON.stringify({ ...describe(req), body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-echo-task': task });
    res.end(body);
  });
});

function frame(opcode, payload, fin = true) {
  const len = payload.length;
  let header;
  if (len < 126) {
    header = Buffer.from([(fin ? 0x80 : 0) | opcode, len]);
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

server.on('upgrade', (req, socket, head) => {
  const key = req.headers['sec-websocket-key'];
  if (String(req.headers.upgrade || '').toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
      `sec-websocket-accept: ${accept}\r\nx-echo-task: ${task}\r\n\r\n`,
  );
  socket.write(frame(0x1, Buffer.from(JSON.stringify(describe(req)))));

  let buffered = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const fin = (buffered[0] & 0x80) !== 0;
      const opcode = buffered[0] & 0x0f;
      const masked = (buffered[1] & 0x80) !== 0;
      let len = buffered[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffered.length < 4) return;
        len = buffered.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return;
        const big = buffered.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME)) {
          socket.destroy();
          return;
        }
        len = Number(big);
        offset = 10;
      }
      if (len > MAX_FRAME) {
        socket.destroy();
        return;
      }
      const maskEnd = offset + (masked ? 4 : 0);
      if (buffered.length < maskEnd + len) return;
      const payload = Buffer.from(buffered.subarray(maskEnd, maskEnd + len));
      if (masked) {
        const mask = buffered.subarray(offset, maskEnd);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      }
      buffered = buffered.subarray(maskEnd + len);
      if (opcode === 0x8) {
        socket.end(frame(0x8, payload.subarray(0, 2)));
        return;
      } else if (opcode === 0x9) {
        socket.write(frame(0xa, payload));
      } else if (opcode === 0x0 || opcode === 0x1 || opcode === 0x2) {
        socket.write(frame(opcode, payload, fin));
      }
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
});

server.keepAliveTimeout = 5000;
server.listen(port, () => {
  process.stdout.write(`echo-server: task=${task} listening on :${port}\n`);
});

const drainMs = Number(process.env.ECHO_DRAIN_MS ?? 0) || 0;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    process.stdout.write(`echo-server: ${signal}, exiting${drainMs > 0 ? ` in ${drainMs} ms` : ''}\n`);
    setTimeout(() => process.exit(0), drainMs);
    if (drainMs === 0) process.exit(0);
  });
}
