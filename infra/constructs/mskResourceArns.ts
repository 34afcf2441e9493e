import { Fn, Token } from "aws-cdk-lib";
import { PipelinePropsError } from "./errors";

const CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;

/**
 * ARNs of the topics and consumer groups of one MSK cluster, for IAM access control.
 *
 * MSK names them `…:topic/<cluster>/<uuid>/<topic>` and `…:group/<cluster>/<uuid>/<group>`, so they
 * are derived from the cluster ARN; a cluster ARN that is a token (a cluster in the same app) is split
 * with intrinsics at deploy time instead of in JavaScript.
 */
export class MskResourceArns {
  private readonly prefix: string;
  private readonly clusterPath: string;

  constructor(readonly clusterArn: string) {
    if (Token.isUnresolved(clusterArn)) {
      const parts = Fn.split(":cluster/", clusterArn, 2);
      this.prefix = Fn.select(0, parts);
      this.clusterPath = Fn.select(1, parts);
    } else {
      if (!CLUSTER_ARN.test(clusterArn)) {
        throw new PipelinePropsError(
          "source.clusterArn",
          `must be an MSK cluster ARN such as arn:aws:kafka:eu-west-1:111122223333:cluster/demo/<uuid>, got "${clusterArn}"`,
        );
      }
      const [prefix, clusterPath] = clusterArn.split(":cluster/") as [string, string];
      this.prefix = prefix;
      this.clusterPath = clusterPath;
    }
  }

  topic(name: string): string {
    return this.resource("topic", name);
  }

  group(name: string): string {
    return this.resource("group", name);
  }

  private resource(kind: "topic" | "group", name: string): string {
    if (Token.isUnresolved(this.prefix)) {
      return Fn.join("", [this.prefix, `:${kind}/`, this.clusterPath, `/${name}`]);
    }
    return `${this.prefix}:${kind}/${this.clusterPath}/${name}`;
  }
}
