export { answeringBrokers, withClusterAdmin } from "./admin";
export {
  BROKER_STATES,
  type BrokerProcess,
  type BrokerState,
  brokers,
  type FaultOptions,
  healCluster,
  killBroker,
  pauseBroker,
  restartBroker,
  resumeBroker,
} from "./brokers";
export {
  LEADERSHIP_MOVES,
  type LeadershipMove,
  type LeadershipMoveKind,
  type MoveLeadershipOptions,
  moveLeadership,
} from "./leadership";
export {
  leaderOf,
  type PartitionState,
  partitionState,
  partitionStates,
  type WaitOptions,
  waitForLeader,
  waitUntilInSync,
} from "./partitions";
