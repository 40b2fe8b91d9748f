/** Structured logs (pino, JSON lines on stderr). One logger per process, child loggers per component. */
import pino from 'pino';
import { config } from './config';

let root: pino.Logger | undefined;

export function logger(component?: string): pino.Logger {
  root ??= pino({ level: config().LOG_LEVEL, base: { pid: process.pid } }, pino.destination(2));
  return component ? root.child({ component }) : root;
}
