/**
 * A construct prop (or app config field) that cannot work, raised at synth time so a bad setting never
 * reaches CloudFormation or, worse, a running mapping. The message names the prop and what is expected.
 */
export class PipelinePropsError extends Error {
  readonly prop: string;

  constructor(prop: string, problem: string) {
    super(`KafkaLambdaPipeline: ${prop} ${problem}`);
    this.name = "PipelinePropsError";
    this.prop = prop;
  }
}
