/**
 * Tenants of the intent API: each business operator (BO) holds its own API key; the network
 * operator's key carries the `operator` role and sees everything. Keys are stored as SHA-256
 * hashes only, so the tenants file can be read (and committed to a deployment repo) without
 * leaking credentials. The contract weight is the operator's, not the tenant's: a BO cannot raise
 * its own say in a negotiation by writing a bigger number into its intent.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const tenantIdSchema = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'lower-case letters, digits and - (2–40)');

export const tenantSchema = z.strictObject({
  id: tenantIdSchema,
  name: z.string().trim().min(1).max(80),
  role: z.enum(['bo', 'operator']),
  apiKeySha256: z.string().regex(/^[0-9a-f]{64}$/, 'hex SHA-256 of the API key'),
  /** Weight of this BO's utility in negotiations (its share of the cell contract). */
  weight: z.number().positive().max(1000).default(1),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantsFileSchema = z.strictObject({ tenants: z.array(tenantSchema).min(1) }).superRefine((file, ctx) => {
  const ids = new Set<string>();
  const keys = new Set<string>();
  file.tenants.forEach((t, i) => {
    if (ids.has(t.id)) ctx.addIssue({ code: 'custom', message: `duplicate tenant ${t.id}`, path: ['tenants', i] });
    if (keys.has(t.apiKeySha256))
      ctx.addIssue({ code: 'custom', message: `tenant ${t.id} shares an API key`, path: ['tenants', i] });
    ids.add(t.id);
    keys.add(t.apiKeySha256);
  });
});
export type TenantsFile = z.infer<typeof tenantsFileSchema>;

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export class TenantDirectory {
  private readonly byHash: Map<string, Tenant>;
  private readonly byId: Map<string, Tenant>;
  constructor(file: TenantsFile) {
    this.byHash = new Map(file.tenants.map((t) => [t.apiKeySha256, t]));
    this.byId = new Map(file.tenants.map((t) => [t.id, t]));
  }

  /** The tenant holding this key, or null. Compares hashes in constant time. */
  authenticate(apiKey: string): Tenant | null {
    const hash = hashApiKey(apiKey);
    const candidate = this.byHash.get(hash);
    if (!candidate) return null;
    return timingSafeEqual(Buffer.from(candidate.apiKeySha256, 'hex'), Buffer.from(hash, 'hex')) ? candidate : null;
  }

  get(id: string): Tenant | null {
    return this.byId.get(id) ?? null;
  }

  all(): Tenant[] {
    return [...this.byId.values()];
  }
}

export function loadTenants(file: string): TenantDirectory {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const parsed = tenantsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`tenants file ${file} is invalid: ${problems}`);
  }
  return new TenantDirectory(parsed.data);
}

export interface DevTenantKeys {
  tenantsFile: string;
  keysFile: string;
  keys: Record<string, string>;
}

/**
 * First start on a machine: an operator and two example BOs with fresh random keys. The hashes go
 * to the tenants file; the keys themselves to a second file readable by the owner only, which
 * `npm start` prints, so a developer can call the API at once.
 */
export function ensureDevTenants(tenantsFile: string): DevTenantKeys | null {
  if (existsSync(tenantsFile)) return null;
  const examples: { id: string; name: string; role: Tenant['role'] }[] = [
    { id: 'operator', name: 'Network operator (MAESTRO)', role: 'operator' },
    { id: 'bo-premium', name: 'Premium video BO', role: 'bo' },
    { id: 'bo-basic', name: 'Low-cost basic BO', role: 'bo' },
  ];
  const keys: Record<string, string> = {};
  const tenants = examples.map((e) => {
    const key = `mk_${e.id}_${randomBytes(18).toString('base64url')}`;
    keys[e.id] = key;
    return { ...e, apiKeySha256: hashApiKey(key), weight: 1 };
  });
  mkdirSync(path.dirname(tenantsFile), { recursive: true });
  writeFileSync(tenantsFile, JSON.stringify({ tenants }, null, 2) + '\n');
  const keysFile = tenantsFile.replace(/\.json$/, '') + '.keys.json';
  writeFileSync(keysFile, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  return { tenantsFile, keysFile, keys };
}
