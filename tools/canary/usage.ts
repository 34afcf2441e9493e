export const CANARY_USAGE = `usage: npm run canary -- (--stack <name> | --outputs <cdk outputs file> [--stack <name>] | --local) [options]

Proves a deployed pipeline: produces a good, a transient-once and an invalid record to the canary
topic, waits for the pipeline, prints one PASS/FAIL line per check, then removes what it created.
Exit 0 when every check passes, 1 when one fails, 2 for bad input.

Where
  --stack <name>                read the stack's outputs with CloudFormation (DescribeStacks)
  --outputs <file>              or from \`cdk deploy --outputs-file <file>\`; --stack picks one of its stacks
  --local                       the local stack, with the processor bundle under the mapping emulator
  --topic <name>                --local only: the canary topic, default local.canary (created if missing)
  --region <region>             default $AWS_REGION, then the stack's Region output, then your profile's
Kafka (default: the processor's connection, from the stack's outputs)
  --brokers <h:p,...>           bootstrap brokers (from inside the VPC for MSK)
  --ssl                         TLS to the brokers
  --auth <mode>                 none | iam | scram-sha-256 | scram-sha-512
  --sasl-secret-arn <arn>       Secrets Manager secret {username,password} for SCRAM
  --sasl-username <u>           SCRAM without a secret (test clusters); password from --sasl-password
  --sasl-password <p>           or $KAFKA_SASL_PASSWORD (keeps it out of shell history)
  --tls-secret-arn <arn>        client certificate {certificate,privateKey} for mutual TLS
  --ca-secret-arn <arn>         the brokers' private root CA {certificate}
Run
  --wait-s <n>                  longest wait for the pipeline, default 120 (60 with --local)
  --keep                        leave the index item, archive object and delivery counts in place
  --item-identifier-key <k>     --local only: the key the emulated mapping reads (partition or
                                topic-partition), default the function's FAILURE_KEY_NAME
  --function-logs               --local only: show the function's own JSON logs
  --help`;
