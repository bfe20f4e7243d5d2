/** The real stack for integration tests: scripts/lib/stack.ts, which benchmarks and scripts share. */
export * from '../../scripts/lib/stack.ts';
