/**
 * A topic's offsets from ListOffsets, asked again while a partition's leadership moves (an election,
 * a broker restarting or healing): kafkajs's admin passes LEADER_NOT_AVAILABLE ("in the middle of a
 * leadership election") and NOT_LEADER_FOR_PARTITION on rather than asking the new leader. Seen in CI
 * right after `healCluster()`.
 */
import type { Admin } from "kafkajs";
import { isLeadershipMoving } from "../stack/kafkaErrorType";

/** How long to keep asking while leadership moves, unless told otherwise. */
const ELECTION_TIMEOUT_MS = 15_000;

export async function topicOffsets(
  admin: Pick<Admin, "fetchTopicOffsets">,
  topic: string,
  electionTimeoutMs = ELECTION_TIMEOUT_MS,
): ReturnType<Admin["fetchTopicOffsets"]> {
  const deadline = Date.now() + electionTimeoutMs;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!isLeadershipMoving(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
