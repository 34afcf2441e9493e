/**
 * The @platformatic/kafka producer and its settings, in one module the composition root imports
 * on first use (`KAFKA_PRODUCER=platformatic`): the default kafkajs bundle's INIT never reads it.
 */
export { PlatformaticMessageSink } from "../adapters/PlatformaticMessageSink";
export { platformaticConnection } from "../adapters/platformaticClient";
