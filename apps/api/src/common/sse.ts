import type { Request, Response } from 'express';

export interface SseStream {
  send(data: unknown, event?: string): void;
  onClose(fn: () => void): void;
}

/** Opens a server-sent-events response with a heartbeat; the caller pushes JSON payloads. */
export function openSse(req: Request, res: Response): SseStream {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('connection', 'keep-alive');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  const closers: (() => void)[] = [];
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(heartbeat);
    for (const fn of closers) fn();
  });
  return {
    send(data, event) {
      if (res.writableEnded) return;
      res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}
