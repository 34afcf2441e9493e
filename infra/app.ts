/**
 * `cdk synth` / `cdk deploy` entry point: builds the App and the stack from the validated
 * configuration and runs the cdk-nag AwsSolutions checks, whose unacknowledged errors fail synth.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { loadAppConfig } from "./config";
import { KafkaPipelineStack } from "./KafkaPipelineStack";

const app = new App();
const config = loadAppConfig(app.node);

// The stack takes its environment from the config (and, for MSK, the cluster's region).
new KafkaPipelineStack(app, config.stackName, {
  config,
  description: "Kafka consumers on AWS Lambda: partial batch responses, DLQ topics, S3 dead-letter archive",
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
