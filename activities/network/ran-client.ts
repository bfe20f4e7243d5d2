/**
 * The slice operator's southbound client to the RAN itself (here the emulated RAN of
 * ran-emulator/): the network intent (PRBs per slice) and cell power. The A1 policies go to the
 * near-RT RIC through a1-client.ts. Non-2xx answers become errors with the RAN's message, so the
 * activity's retry policy handles a RAN that is briefly away and the history shows why it failed.
 */
import type { NetworkIntent } from '../../core/network/contracts.ts';

export interface RanClient {
  putNetworkIntent(intent: NetworkIntent): Promise<void>;
  setPower(cellId: string, on: boolean): Promise<void>;
}

export function createRanClient(baseUrl: string, timeoutMs = 10_000): RanClient {
  const call = async (method: string, route: string, body: unknown): Promise<void> => {
    const res = await fetch(new URL(route, baseUrl), {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new Error(`RAN ${method} ${route} answered ${res.status}: ${text.slice(0, 300)}`);
    }
  };
  return {
    putNetworkIntent: (intent) => call('PUT', `/cells/${encodeURIComponent(intent.cellId)}/network-intent`, intent),
    setPower: (cellId, on) => call('PUT', `/cells/${encodeURIComponent(cellId)}/power`, { on }),
  };
}
