/**
 * The batch both processing benchmarks run: employee records near Lambda's 6 MB payload limit,
 * 1% of them schema-invalid, spread over three partitions, built deterministically.
 */
import type { KafkaEvent, KafkaEventRecord } from "../functions/lib/core/types";

export const SOURCE_TOPIC = "employees";
const PAYLOAD_LIMIT = 6 * 1024 * 1024;

export interface Workload {
  readonly event: KafkaEvent;
  readonly recordCount: number;
  readonly invalidCount: number;
  readonly payloadBytes: number;
}

/** An employee whose `notes` pad the value to about `valueBytes`; every hundredth has a negative age. */
export function employeeValue(n: number, valueBytes: number): Buffer {
  const employee = {
    "Employee-Number": n,
    name: `Employee ${n}`,
    age: n % 100 === 99 ? -1 : 20 + (n % 45),
    department: ["engineering", "sales", "finance", "operations"][n % 4],
    notes: "",
  };
  const base = JSON.stringify(employee).length;
  employee.notes = "x".repeat(Math.max(0, valueBytes - base));
  // notes is not in the schema: zod strips it, so the transformed record is small, as in real pipelines
  return Buffer.from(JSON.stringify(employee));
}

/** As many records of `valueBytes` as fit under the payload limit (at most 10,000, Lambda's maximum). */
export function buildWorkload(topic = SOURCE_TOPIC, valueBytes = 1_200): Workload {
  const records: Record<string, KafkaEventRecord[]> = {};
  let payloadBytes = 200;
  let count = 0;
  let invalid = 0;
  while (count < 10_000) {
    const partition = count % 3;
    const record: KafkaEventRecord = {
      topic,
      partition,
      offset: Math.floor(count / 3),
      timestamp: 1_763_800_000_000 + count,
      timestampType: "CREATE_TIME",
      key: Buffer.from(`emp-${count}`).toString("base64"),
      value: employeeValue(count, valueBytes).toString("base64"),
      headers: [{ source: [...Buffer.from("bench")] }],
    };
    const size = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (payloadBytes + size > PAYLOAD_LIMIT - 64 * 1024) break;
    payloadBytes += size;
    const id = `${topic}-${partition}`;
    const list = records[id] ?? [];
    records[id] = list;
    list.push(record);
    if (count % 100 === 99) invalid += 1;
    count += 1;
  }
  return {
    event: { eventSource: "aws:kafka", records },
    recordCount: count,
    invalidCount: invalid,
    payloadBytes,
  };
}
