/**
 * The slice operator's southbound client: HTTP to the RAN (here the emulated RAN of
 * ran-emulator/; an OAI/FlexRIC deployment would expose the same A1 policy path through a
 * non-RT RIC). Non-2xx answers become errors with the RAN's message, so the activity's retry
 * policy handles a RAN that is briefly away and the history shows why it failed.
 */
import type { NetworkIntent } from '../../core/network/contracts.ts';

export const a1PolicyTypeId = 'ORAN_SliceSLATarget_1.0.0';

export interface RanClient {
  putNetworkIntent(intent: NetworkIntent): Promise<void>;
  putA1Policy(policyId: string, policy: unknown): Promise<void>;
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
    putA1Policy: (policyId, policy) =>
      call('PUT', `/a1-p/policytypes/${a1PolicyTypeId}/policies/${encodeURIComponent(policyId)}`, policy),
    setPower: (cellId, on) => call('PUT', `/cells/${encodeURIComponent(cellId)}/power`, { on }),
  };
}
