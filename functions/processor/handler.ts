/**
 * The processor Lambda: composition root only. Configuration, clients and the producer are built
 * once per container (INIT, which fails when a mapped topic has no pipeline); every invocation runs
 * the batch through the pipelines in `./pipelines`.
 */
import { createProcessorHandler } from "../lib/lambda/processorHandler";
import { pipelines } from "./pipelines";

export const { handler } = createProcessorHandler(pipelines);
