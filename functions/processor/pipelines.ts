/**
 * The example pipelines from the user's documents. Replace or extend them with your own: a
 * pipeline is a source topic, a Standard Schema, a transform and a target topic.
 */
import { z } from "zod";
import { definePipeline } from "../lib/core/pipeline";

export const employeeSchema = z.object({
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

export const userEventSchema = z.object({
  user_id: z.string().min(1),
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
