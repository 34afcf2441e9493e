/**
 * Setup file of the projects that use the local stack: waits, before the file's tests, until the
 * stack the integration setup starts in the background answers (see stackReadiness.ts). Without the
 * variable (a stack started another way) there is nothing to wait for.
 */
import { STACK_READY_VARIABLE, waitForStackReady } from "./stackReadiness";

const file = process.env[STACK_READY_VARIABLE];
if (file !== undefined) await waitForStackReady(file);
