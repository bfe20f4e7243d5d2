/** Tenants with known API keys for the API tests: the operator and three BOs (bo-1…bo-3, like partiesOf). */
import { hashApiKey, TenantDirectory } from '../../core/tenants/tenants.ts';

export const apiKeys = {
  operator: 'test-operator-key',
  'bo-1': 'test-bo-1-key',
  'bo-2': 'test-bo-2-key',
  'bo-3': 'test-bo-3-key',
} as const;

export const testTenants = new TenantDirectory({
  tenants: Object.entries(apiKeys).map(([id, key]) => ({
    id,
    name: id,
    role: id === 'operator' ? ('operator' as const) : ('bo' as const),
    apiKeySha256: hashApiKey(key),
    weight: id === 'bo-2' ? 2 : 1,
  })),
});

export const authAs = (tenant: keyof typeof apiKeys): Record<string, string> => ({
  authorization: `Bearer ${apiKeys[tenant]}`,
});
