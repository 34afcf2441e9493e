/**
 * Which faults a chaos run injects and when: drawn from the run's seed, so a run replays exactly.
 * Pure; the injector carries the plan out.
 */
export const FAULT_KINDS = {
  brokerKill: "broker-kill",
  leaderChange: "leader-change",
  brokerPause: "broker-pause",
  s3Outage: "s3-outage",
  dynamodbOutage: "dynamodb-outage",
  sandboxKill: "sandbox-kill",
  slowHandler: "slow-handler",
  memorySpike: "memory-spike",
} as const;
export type FaultKind = (typeof FAULT_KINDS)[keyof typeof FAULT_KINDS];

/** Faults that need more than one broker. */
export const CLUSTER_FAULTS: ReadonlySet<FaultKind> = new Set([
  FAULT_KINDS.brokerKill,
  FAULT_KINDS.leaderChange,
  FAULT_KINDS.brokerPause,
]);

export interface PlannedFault {
  readonly kind: FaultKind;
  /** Milliseconds after the emulator starts. */
  readonly atMs: number;
  /** How long an outage, pause or broker death lasts. */
  readonly durationMs: number;
  /** The broker node (broker faults) or the partition (leader change). */
  readonly target: number;
  /** The invocation (sandbox faults): the n-th one after `atMs`. */
  readonly invocation: number;
}

export interface PlanOptions {
  readonly kinds: readonly FaultKind[];
  readonly brokers: number;
  /** The window in which faults start. */
  readonly windowMs: number;
}

/** One to three faults of the allowed kinds at random moments of the window. */
export function planFaults(random: () => number, options: PlanOptions): PlannedFault[] {
  const allowed = options.kinds.filter((k) => options.brokers > 1 || !CLUSTER_FAULTS.has(k));
  if (allowed.length === 0) return [];
  const count = 1 + Math.floor(random() * 3);
  const faults: PlannedFault[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = allowed[Math.floor(random() * allowed.length)] as FaultKind;
    faults.push({
      kind,
      atMs: Math.round(random() * options.windowMs),
      durationMs: 2_000 + Math.round(random() * 4_000),
      target: Math.floor(random() * Math.max(options.brokers, 3)),
      invocation: 1 + Math.floor(random() * 8),
    });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

export function describeFault(fault: PlannedFault): string {
  const at = `@${(fault.atMs / 1000).toFixed(1)}s`;
  switch (fault.kind) {
    case FAULT_KINDS.brokerKill:
    case FAULT_KINDS.brokerPause:
      return `${fault.kind}${at}(node ${fault.target}, ${(fault.durationMs / 1000).toFixed(1)}s)`;
    case FAULT_KINDS.leaderChange:
      return `${fault.kind}${at}(partition ${fault.target})`;
    case FAULT_KINDS.s3Outage:
    case FAULT_KINDS.dynamodbOutage:
      return `${fault.kind}${at}(${(fault.durationMs / 1000).toFixed(1)}s)`;
    default:
      return `${fault.kind}${at}`;
  }
}

export function parseFaultKinds(text: string | undefined): FaultKind[] {
  const all = Object.values(FAULT_KINDS);
  if (text === undefined || text === "" || text === "all") return all;
  const kinds = text.split(",").map((k) => k.trim());
  const unknown = kinds.filter((k) => !(all as string[]).includes(k));
  if (unknown.length > 0) throw new Error(`unknown fault ${unknown.join(", ")}; known: ${all.join(", ")}`);
  return kinds as FaultKind[];
}
