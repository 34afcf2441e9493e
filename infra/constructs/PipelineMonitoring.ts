import { Duration, type RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { FAILURE_STAGES } from "../../functions/lib/core/errors";
import {
  METRIC_NAMES,
  type MetricName,
  SERVICE_DIMENSION,
  STAGE_DIMENSION,
} from "../../functions/lib/metricNames";

const PERIOD = Duration.minutes(5);

export interface PipelineAlarms {
  /** Any record dead-lettered by the processor. */
  readonly deadLetters: cloudwatch.Alarm;
  /** Any dead letter that could not be written to the DLQ topic or the archive. */
  readonly deadLetterWriteFailures: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly offsetLag: cloudwatch.Alarm;
  /** Per source topic: batches the mapping sent to (or failed to send to) its on-failure destination. */
  readonly onFailureDeliveries: ReadonlyMap<string, cloudwatch.Alarm>;
  /**
   * Per source topic: the mapping could not poll or commit, or dropped records. These are the day-one
   * failures (security groups, KMS, missing endpoints, permissions) that no function metric shows.
   */
  readonly mappingErrors: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Per source topic: the mapping reports lag, but for 15 minutes it invoked nothing or the function processed nothing. */
  readonly stalled: ReadonlyMap<string, cloudwatch.Alarm>;
  /** A redrive invocation that failed; undefined without a redrive function. */
  readonly redriveErrors: cloudwatch.Alarm | undefined;
}

export interface PipelineMonitoringProps {
  readonly processor: lambda.IFunction;
  /** The dead-letter redrive function, if deployed. */
  readonly redrive?: lambda.IFunction | undefined;
  readonly mappings: ReadonlyMap<string, lambda.IEventSourceMapping>;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly offsetLagThreshold: number;
  readonly functionErrorsThreshold: number;
  readonly alarmTopic: sns.ITopic | undefined;
  readonly alarmEmail: string | undefined;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Alarms and the dashboard of one pipeline. The processor's metric names and dimensions come from
 * `functions/lib/metricNames.ts`, so the alarms watch exactly what the function emits.
 */
export class PipelineMonitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;

  private readonly props: PipelineMonitoringProps;
  /** The topic this construct created, whose policy it owns; undefined for a topic passed in. */
  private readonly ownTopic: sns.Topic | undefined;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.ownTopic = props.alarmTopic === undefined ? this.createAlarmTopic() : undefined;
    this.alarmTopic = props.alarmTopic ?? (this.ownTopic as sns.Topic);
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const { processor, redrive } = props;
    this.alarms = {
      deadLetters: this.alarm("DeadLettersAlarm", {
        metric: this.processorMetric(METRIC_NAMES.recordsDeadLettered),
        threshold: 1,
        alarmDescription:
          "Records were dead-lettered (DLQ topic + archive). Inspect the dead-letter table by topic.",
      }),
      deadLetterWriteFailures: this.alarm("DeadLetterWriteFailuresAlarm", {
        metric: this.processorMetric(METRIC_NAMES.deadLetterWriteFailures),
        threshold: 1,
        alarmDescription:
          "A dead letter could not be written to the DLQ topic or the S3 archive; its batch is retried.",
      }),
      functionErrors: this.alarm("FunctionErrorsAlarm", {
        metric: processor.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: props.functionErrorsThreshold,
        alarmDescription:
          "The processor failed whole invocations (a thrown error or a timeout): the batch is retried.",
      }),
      offsetLag: this.alarm("OffsetLagAlarm", {
        metric: processor.metric("OffsetLag", { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: props.offsetLagThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        alarmDescription: `The consumer has been more than ${props.offsetLagThreshold} records behind for 15 minutes.`,
      }),
      onFailureDeliveries: new Map(
        [...props.mappings].map(([topic, mapping]) => [
          topic,
          this.alarm(`OnFailureDeliveriesAlarm-${topic}`, {
            metric: new cloudwatch.MathExpression({
              expression: "FILL(delivered, 0) + FILL(deliveryErrors, 0)",
              usingMetrics: {
                delivered: mappingMetric(mapping, "OnFailureDestinationDeliveredEventCount"),
                deliveryErrors: mappingMetric(mapping, "OnFailureDestinationDeliveryErrorCount"),
              },
              label: `${topic}: batches to the on-failure destination`,
              period: PERIOD,
            }),
            threshold: 1,
            alarmDescription:
              `The mapping of "${topic}" gave up on records (retries or record age ran out) and sent them to ` +
              "its on-failure destination, or failed to. Records there are outside the pipeline's DLQ.",
          }),
        ]),
      ),
      mappingErrors: new Map(
        [...props.mappings].map(([topic, mapping]) => [
          topic,
          this.alarm(`MappingErrorsAlarm-${topic}`, {
            metric: new cloudwatch.MathExpression({
              expression: "FILL(polling, 0) + FILL(commit, 0) + FILL(dropped, 0)",
              usingMetrics: {
                polling: mappingMetric(mapping, "PollingErrorCount"),
                commit: mappingMetric(mapping, "CommitErrorCount"),
                dropped: mappingMetric(mapping, "DroppedEventCount"),
              },
              label: `${topic}: polling errors + commit errors + dropped records`,
              period: PERIOD,
            }),
            threshold: 1,
            alarmDescription:
              `The mapping of "${topic}" could not poll the cluster or commit offsets, or dropped records (lost ` +
              "unless an on-failure destination took them). Check the mapping's state, the security groups, the " +
              "VPC endpoints or NAT, the secrets' KMS key and the role's permissions.",
          }),
        ]),
      ),
      stalled: new Map(
        [...props.mappings].map(([topic, mapping]) => [
          topic,
          this.alarm(`StalledAlarm-${topic}`, {
            metric: new cloudwatch.MathExpression({
              // Lag with no invocation: the mapping is stuck. Lag with invocations that neither produce
              // nor dead-letter anything: every record is being retried.
              expression:
                "IF(FILL(lag, 0) > 0 AND (FILL(invoked, 0) == 0 OR FILL(processed, 0) + FILL(deadLettered, 0) == 0), 1, 0)",
              usingMetrics: {
                lag: mappingMetric(mapping, "MaxOffsetLag", cloudwatch.Stats.MAXIMUM),
                invoked: mappingMetric(mapping, "InvokedEventCount"),
                processed: this.processorMetric(METRIC_NAMES.recordsProcessed),
                deadLettered: this.processorMetric(METRIC_NAMES.recordsDeadLettered),
              },
              label: `${topic}: behind but nothing processed`,
              period: PERIOD,
            }),
            threshold: 1,
            evaluationPeriods: 3,
            alarmDescription:
              `The mapping of "${topic}" has been behind for 15 minutes while invoking nothing, or while the ` +
              "processor produced and dead-lettered nothing: records are not moving.",
          }),
        ]),
      ),
      redriveErrors:
        redrive === undefined
          ? undefined
          : this.alarm("RedriveErrorsAlarm", {
              metric: redrive.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
              threshold: 1,
              alarmDescription:
                "A redrive invocation failed (an error or a timeout): read its log, then invoke it again " +
                'with {"resume": "<run-id>"} to continue from the checkpoint.',
            }),
    };
    this.dashboard = this.createDashboard();
    this.allowAlarmsToPublish();
  }

  /**
   * The created topic's policy (which enforceSSL writes) replaces SNS's default one, so it must let
   * CloudWatch publish, and only for these alarms of this account
   * (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html). A topic passed in
   * keeps its own policy: its owner must allow the same.
   */
  private allowAlarmsToPublish(): void {
    if (this.ownTopic === undefined) return;
    this.ownTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.ownTopic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": Stack.of(this).account },
          ArnLike: { "aws:SourceArn": this.allAlarms().map((alarm) => alarm.alarmArn) },
        },
      }),
    );
  }

  private allAlarms(): cloudwatch.Alarm[] {
    return [
      this.alarms.deadLetters,
      this.alarms.deadLetterWriteFailures,
      this.alarms.functionErrors,
      this.alarms.offsetLag,
      ...this.alarms.onFailureDeliveries.values(),
      ...this.alarms.mappingErrors.values(),
      ...this.alarms.stalled.values(),
      ...(this.alarms.redriveErrors === undefined ? [] : [this.alarms.redriveErrors]),
    ];
  }

  private createAlarmTopic(): sns.Topic {
    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, so a customer key.
    const key = new kms.Key(this, "AlarmTopicKey", {
      description: "Encrypts the pipeline's alarm notifications",
      enableKeyRotation: true,
      removalPolicy: this.props.removalPolicy,
    });
    key.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
    return new sns.Topic(this, "AlarmTopic", { masterKey: key, enforceSSL: true });
  }

  private alarm(
    id: string,
    options: Omit<cloudwatch.CreateAlarmOptions, "evaluationPeriods"> & {
      readonly metric: cloudwatch.IMetric;
      readonly evaluationPeriods?: number;
    },
  ): cloudwatch.Alarm {
    const { metric, ...rest } = options;
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No data means no traffic, not a failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...rest,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    return alarm;
  }

  private processorMetric(
    name: MetricName,
    options: { stage?: string; statistic?: string; label?: string } = {},
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.metricsNamespace,
      metricName: name,
      dimensionsMap: {
        [SERVICE_DIMENSION]: this.props.serviceName,
        ...(options.stage === undefined ? {} : { [STAGE_DIMENSION]: options.stage }),
      },
      statistic: options.statistic ?? cloudwatch.Stats.SUM,
      period: PERIOD,
      ...(options.label === undefined ? {} : { label: options.label }),
    });
  }

  private createDashboard(): cloudwatch.Dashboard {
    const { processor, mappings } = this.props;
    const perMapping = (metricName: string, what: string, statistic: string = cloudwatch.Stats.SUM) =>
      [...mappings].map(([topic, mapping]) =>
        mappingMetric(mapping, metricName, statistic).with({ label: `${topic} ${what}` }),
      );
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 12, height: 6 });

    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(
      graph("Records received / processed / dead-lettered", [
        this.processorMetric(METRIC_NAMES.recordsReceived, { label: "received" }),
        this.processorMetric(METRIC_NAMES.recordsProcessed, { label: "processed" }),
        this.processorMetric(METRIC_NAMES.recordsDeadLettered, { label: "dead-lettered" }),
      ]),
      graph(
        "Dead letters by stage",
        Object.values(FAILURE_STAGES).map((stage) =>
          this.processorMetric(METRIC_NAMES.recordsDeadLettered, { stage, label: stage }),
        ),
      ),
    );
    dashboard.addWidgets(
      graph("Retries and dead-letter write failures", [
        this.processorMetric(METRIC_NAMES.recordsRetried, { label: "retried" }),
        this.processorMetric(METRIC_NAMES.deadLetterWriteFailures, { label: "dead-letter write failures" }),
      ]),
      graph(
        "Function invocations, errors, throttles",
        [
          processor.metricInvocations({ period: PERIOD, label: "invocations" }),
          processor.metricErrors({ period: PERIOD, label: "errors" }),
          processor.metricThrottles({ period: PERIOD, label: "throttles" }),
        ],
        [processor.metric("ConcurrentExecutions", { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM })],
      ),
    );
    dashboard.addWidgets(
      graph("Duration (ms)", [
        processor.metricDuration({
          period: PERIOD,
          statistic: cloudwatch.Stats.p(50),
          label: "invocation p50",
        }),
        processor.metricDuration({
          period: PERIOD,
          statistic: cloudwatch.Stats.p(99),
          label: "invocation p99",
        }),
        processor.metricDuration({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: "invocation max",
        }),
        this.processorMetric(METRIC_NAMES.batchDuration, {
          statistic: cloudwatch.Stats.p(99),
          label: "batch p99",
        }),
      ]),
      graph(
        "Offset lag",
        [
          processor.metric("OffsetLag", {
            period: PERIOD,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: "max (function)",
          }),
        ],
        perMapping("MaxOffsetLag", "max lag", cloudwatch.Stats.MAXIMUM),
      ),
    );
    dashboard.addWidgets(
      graph(
        "Mapping: batches to the on-failure destination / delivery errors",
        perMapping("OnFailureDestinationDeliveredEventCount", "delivered"),
        perMapping("OnFailureDestinationDeliveryErrorCount", "delivery errors"),
      ),
      graph("Mapping: polling, commit and invoke errors, dropped records", [
        ...perMapping("PollingErrorCount", "polling errors"),
        ...perMapping("CommitErrorCount", "commit errors"),
        ...perMapping("InvokeErrorCount", "invoke errors"),
        ...perMapping("DroppedEventCount", "dropped"),
      ]),
    );
    const { redrive } = this.props;
    if (redrive !== undefined) {
      dashboard.addWidgets(
        graph(
          "Redrive function: invocations, errors / duration (ms)",
          [
            redrive.metricInvocations({ period: PERIOD, label: "invocations" }),
            redrive.metricErrors({ period: PERIOD, label: "errors" }),
          ],
          [
            redrive.metricDuration({
              period: PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: "duration max",
            }),
          ],
        ),
      );
    }
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: this.allAlarms(), width: 24 }),
    );
    return dashboard;
  }
}

/**
 * Event source mapping metrics (opt-in through MetricsConfig) are in AWS/Lambda, keyed by the
 * mapping's UUID (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics).
 */
function mappingMetric(
  mapping: lambda.IEventSourceMapping,
  metricName: string,
  statistic: string = cloudwatch.Stats.SUM,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: "AWS/Lambda",
    metricName,
    dimensionsMap: { EventSourceMappingUUID: mapping.eventSourceMappingId },
    statistic,
    period: PERIOD,
  });
}
