/**
 * Where the slice operator enforces: the RAN (network intents, power) and the near-RT RIC's A1-P
 * (SLA policies). One deployment may put both behind one URL (the emulated RAN serves both), a real
 * one points `MAESTRO_A1_URL` at its RIC.
 */
import { createA1Client, type A1Client } from './a1-client.ts';
import { createRanClient, type RanClient } from './ran-client.ts';

export interface Southbound {
  ran: RanClient;
  a1: A1Client;
}

export function createSouthbound(ranUrl: string, a1Url: string = ranUrl): Southbound {
  return { ran: createRanClient(ranUrl), a1: createA1Client(a1Url) };
}
