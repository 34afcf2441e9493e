import { Duration, type RemovalPolicy } from "aws-cdk-lib";
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

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic();
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
      graph("Mapping: polling errors, invoke errors, dropped records", [
        ...perMapping("PollingErrorCount", "polling errors"),
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
    const alarms = [
      this.alarms.deadLetters,
      this.alarms.deadLetterWriteFailures,
      this.alarms.functionErrors,
      this.alarms.offsetLag,
      ...this.alarms.onFailureDeliveries.values(),
      ...(this.alarms.redriveErrors === undefined ? [] : [this.alarms.redriveErrors]),
    ];
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms, width: 24 }));
    return dashboard;
  }
}

/** Event source mapping metrics (opt-in through MetricsConfig) are keyed by the mapping's UUID. */
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
