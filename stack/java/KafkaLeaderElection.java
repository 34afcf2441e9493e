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
 *
 * With `--serve <bootstrap>` it keeps one Admin client and reads one move per line on stdin
 * (`<topic> <partition> <leader,replica,...>`), answering each with one line on stdout, `ok <text>` or
 * `error <text>`, and exits when stdin closes: starting a JVM with Kafka's client classes costs about
 * two seconds of CPU here, the move itself a fraction of that, and fault tests move leaders dozens of
 * times.
 */
public final class KafkaLeaderElection {
  private static final long TIMEOUT_SECONDS = 30;

  private KafkaLeaderElection() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("--serve")) {
      serve(args[1]);
      return;
    }
    if (args.length != 4) {
      System.err.println(
          "usage: KafkaLeaderElection <bootstrap> <topic> <partition> <leader,replica,...> | --serve <bootstrap>");
      System.exit(2);
    }
    try (Admin admin = createAdmin(args[0])) {
      System.out.println(move(admin, args[1], args[2], args[3]));
    } catch (MoveFailed e) {
      System.err.println(e.getMessage());
      System.exit(1);
    }
  }

  private static void serve(String bootstrap) throws Exception {
    java.io.BufferedReader in =
        new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    try (Admin admin = createAdmin(bootstrap)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] request = line.trim().split(" ");
        String answer;
        if (request.length != 3) {
          answer = "error a move is <topic> <partition> <leader,replica,...>, got: " + line;
        } else {
          try {
            answer = "ok " + move(admin, request[0], request[1], request[2]);
          } catch (MoveFailed e) {
            answer = "error " + e.getMessage().replace('\n', ' ');
          } catch (Exception e) {
            answer = "error could not move the leader: " + String.valueOf(e).replace('\n', ' ');
          }
        }
        System.out.println(answer);
        System.out.flush();
      }
    }
  }

  private static Admin createAdmin(String bootstrap) {
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "25000");
    return Admin.create(properties);
  }

  /** A move the controller refused or that did not complete: one line for the caller. */
  private static final class MoveFailed extends Exception {
    MoveFailed(String message) {
      super(message);
    }
  }

  private static String move(Admin admin, String topic, String partitionText, String replicasText)
      throws Exception {
    TopicPartition partition = new TopicPartition(topic, Integer.parseInt(partitionText));
    List<Integer> replicas =
        java.util.Arrays.stream(replicasText.split(",")).map(s -> Integer.parseInt(s.trim())).toList();
    try {
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
        throw new MoveFailed("election failed for " + partition + ": " + failure.get());
      }
      return "preferred leader of " + partition + " is " + replicas.get(0);
    } catch (ExecutionException e) {
      throw new MoveFailed("could not move the leader of " + partition + ": " + e.getCause());
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
