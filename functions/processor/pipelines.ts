/**
 * The example pipelines from the user's documents. Replace or extend them with your own: a
 * pipeline is a source topic, a Standard Schema, a transform and a target topic.
 *
 * The documents transform one field and forward everything else, so the schemas are passthrough
 * (`z.looseObject`): fields they do not name reach the target untouched. A strict schema
 * (`z.strictObject`) dead-letters records with unknown fields instead; plain `z.object` would strip
 * them silently, which loses data nobody decided to drop.
 */
import { z } from "zod";
import { definePipeline } from "../lib/core/pipeline";

export const employeeSchema = z.looseObject({
  "Employee-Number": z.number().int().nonnegative(),
  name: z.string().min(1),
  age: z.number().int().positive(),
  department: z.string().min(1).optional(),
});

/** Employee records: the number becomes `EMP-<number>`; the age must be a positive integer. */
export const employeeRecords = {
  schema: employeeSchema,
  transform: (employee: z.infer<typeof employeeSchema>) => ({
    ...employee,
    "Employee-Number": `EMP-${employee["Employee-Number"]}`,
  }),
};

export const userEventSchema = z.looseObject({
  // The documents' own example message has a numeric id: `{"user_id": 1, "action": "login"}`.
  user_id: z.union([z.string().min(1), z.number().int()]),
  action: z.string().min(1),
  timestamp: z.union([z.string(), z.number()]).optional(),
});

/** User events: `user_id` and `action` are required; the action is normalised to lower case. */
export const userEvents = {
  schema: userEventSchema,
  transform: (event: z.infer<typeof userEventSchema>) => ({
    ...event,
    action: event.action.trim().toLowerCase(),
  }),
};

export const employeePipeline = definePipeline({
  sourceTopic: "employees",
  targetTopic: "employees.processed",
  ...employeeRecords,
});

export const userEventPipeline = definePipeline({
  sourceTopic: "user-events",
  targetTopic: "user-events.processed",
  ...userEvents,
});

export const pipelines = [employeePipeline, userEventPipeline];
