import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ElectionNotNeededException;

/**
 * Makes one in-sync replica the leader of one partition, through Kafka's own Admin API: the local
 * stack's moveLeadership (kafkajs 2.2.4 has no ElectLeaders request).
 *
 * Arguments: bootstrap servers, topic, partition, and the partition's replicas with the new leader
 * first. The replicas are reordered with a reassignment of the same replica set (no data moves), so
 * the new leader becomes the preferred replica, then a preferred-leader election makes it the leader;
 * the leader stays there when `auto.leader.rebalance.enable` later restores preferred leaders.
 */
public final class KafkaLeaderElection {
  private static final long TIMEOUT_SECONDS = 30;

  private KafkaLeaderElection() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: KafkaLeaderElection <bootstrap> <topic> <partition> <leader,replica,...>");
      System.exit(2);
    }
    TopicPartition partition = new TopicPartition(args[1], Integer.parseInt(args[2]));
    List<Integer> replicas = java.util.Arrays.stream(args[3].split(",")).map(s -> Integer.parseInt(s.trim())).toList();
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "25000");
    try (Admin admin = Admin.create(properties)) {
      if (!currentReplicas(admin, partition).equals(replicas)) {
        admin
            .alterPartitionReassignments(Map.of(partition, Optional.of(new NewPartitionReassignment(replicas))))
            .all()
            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        waitUntilReordered(admin, partition, replicas);
      }
      Optional<Throwable> failure =
          admin
              .electLeaders(ElectionType.PREFERRED, Set.of(partition))
              .partitions()
              .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
              .getOrDefault(partition, Optional.empty());
      if (failure.isPresent() && !(failure.get() instanceof ElectionNotNeededException)) {
        System.err.println("election failed for " + partition + ": " + failure.get());
        System.exit(1);
      }
      System.out.println("preferred leader of " + partition + " is " + replicas.get(0));
    } catch (ExecutionException e) {
      System.err.println("could not move the leader of " + partition + ": " + e.getCause());
      System.exit(1);
    }
  }

  private static List<Integer> currentReplicas(Admin admin, TopicPartition partition) throws Exception {
    return admin
        .describeTopics(List.of(partition.topic()))
        .allTopicNames()
        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .get(partition.topic())
        .partitions()
        .get(partition.partition())
        .replicas()
        .stream()
        .map(Node::id)
        .toList();
  }

  /** A reorder adds no replica, so the controller applies it at once; metadata follows shortly. */
  private static void waitUntilReordered(Admin admin, TopicPartition partition, List<Integer> replicas)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (!currentReplicas(admin, partition).equals(replicas)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("replicas of " + partition + " were not reordered to " + replicas);
      }
      Thread.sleep(100);
    }
  }
}
