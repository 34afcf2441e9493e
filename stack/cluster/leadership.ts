/**
 * Moving a partition's leadership to another broker, the two ways it happens on MSK: an election
 * that hands it to another in-sync replica (as during a rolling patch), or the leader dying.
 */
import { serviceContext } from "../context";
import { StackError } from "../errors";
import type { StackOptions } from "../types";
import { killBroker, restartBroker } from "./brokers";
import { electPreferredLeader } from "./leaderElection";
import { partitionState, waitForLeader } from "./partitions";

export const LEADERSHIP_MOVES = {
  /** Reorder the replicas and run a preferred-leader election: no broker goes down. */
  election: "election",
  /** SIGKILL the leader; the controller elects another once it fences the dead one (~9 s). */
  kill: "kill",
} as const;
export type LeadershipMoveKind = (typeof LEADERSHIP_MOVES)[keyof typeof LEADERSHIP_MOVES];

export interface MoveLeadershipOptions extends StackOptions {
  /** How: `election` (default) or `kill`. */
  readonly via?: LeadershipMoveKind;
  /** The new leader (election only); default the first other in-sync replica. */
  readonly to?: number;
  /** After `kill`: start the old leader again and wait until it is back in sync. Default true. */
  readonly restart?: boolean;
  /** How long to wait for the new leader; default 60 s. */
  readonly timeoutMs?: number;
}

export interface LeadershipMove {
  readonly topic: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly via: LeadershipMoveKind;
}

/**
 * Moves the partition's leadership to another broker and resolves once the metadata shows the new
 * leader.
 *
 * @example
 * const { from, to } = await moveLeadership("orders", 0);
 * await moveLeadership("orders", 1, { via: "kill" });
 */
export async function moveLeadership(
  topic: string,
  partition: number,
  options: MoveLeadershipOptions = {},
): Promise<LeadershipMove> {
  const via = options.via ?? LEADERSHIP_MOVES.election;
  const state = await partitionState(topic, partition, options);
  const from = state.leader;
  if (from === undefined) {
    throw new StackError(`${topic}-${partition} has no leader to move`, { service: "kafka" });
  }
  const candidates = state.replicas.filter((r) => r !== from && state.isr.includes(r));
  const wait = { ...options, timeoutMs: options.timeoutMs };

  if (via === LEADERSHIP_MOVES.kill) {
    if (options.to !== undefined) {
      throw new StackError("moveLeadership cannot choose the new leader when it kills the old one", {
        service: "kafka",
      });
    }
    if (candidates.length === 0) throw noCandidate(topic, partition, state.isr);
    await killBroker(from, options);
    const to = await waitForLeader(
      topic,
      partition,
      (l) => l !== undefined && l !== from,
      "to elect a leader other than the killed one",
      wait,
    );
    if (options.restart ?? true) await restartBroker(from, options);
    if (to === undefined) throw noCandidate(topic, partition, state.isr);
    return { topic, partition, from, to, via };
  }

  const to = options.to ?? candidates[0];
  if (to === undefined) throw noCandidate(topic, partition, state.isr);
  if (!candidates.includes(to)) {
    throw new StackError(
      `node ${to} cannot lead ${topic}-${partition}: it is ${to === from ? "the leader already" : "not an in-sync replica"} (replicas ${state.replicas.join(",")}, isr ${state.isr.join(",")})`,
      { service: "kafka" },
    );
  }
  const replicas = [to, ...state.replicas.filter((r) => r !== to)];
  await electPreferredLeader(serviceContext(options), topic, partition, replicas, options.env);
  await waitForLeader(topic, partition, (l) => l === to, `to be led by node ${to}`, wait);
  return { topic, partition, from, to, via };
}

function noCandidate(topic: string, partition: number, isr: readonly number[]): StackError {
  return new StackError(
    `${topic}-${partition} has no other in-sync replica to take over (isr ${isr.join(",")}); ` +
      "a single-broker stack cannot move leadership: start three with --brokers 3",
    { service: "kafka" },
  );
}
