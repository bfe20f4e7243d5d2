/** Every API response a test sees is checked against the operation's declaration (api/contract.ts). */
import assert from 'node:assert/strict';
import { documentedResponse } from '../../api/contract.ts';
import { apiContracts } from '../../api/openapi.ts';

export function assertDocumented(method: string, path: string, status: number, body: unknown): void {
  const problem = documentedResponse(apiContracts, { method, path }, status, body);
  assert.equal(problem, null, `undocumented response: ${problem}`);
}
