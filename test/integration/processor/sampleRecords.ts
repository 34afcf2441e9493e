/** The processor tests' records: good and bad ones on all three partitions of a source topic. */
export const NON_UTF8 = Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0x80]);
export const BINARY_HEADER = Buffer.from([0x00, 0xff, 0x80, 0x0a]);
export const employee = (n: number, age: number, name = `E${n}`) =>
  Buffer.from(JSON.stringify({ "Employee-Number": n, name, age }));
/** Outside ASCII, in two, three and four UTF-8 bytes. */
export const WIDE_NAME = "Zoë 名前 🚀";

/** Good and bad records on all three partitions; the comment on each says where it must end up. */
export const SAMPLE = [0, 1, 2].flatMap((partition) => [
  {
    partition,
    key: `good-${partition}`,
    value: employee(partition, 30 + partition),
    headers: { trace: BINARY_HEADER },
  }, // target
  {
    partition,
    key: `json-${partition}`,
    value: Buffer.from('{"Employee-Number": 7, "name": '),
    headers: { trace: BINARY_HEADER },
  }, // DLQ decode
  { partition, key: `age-${partition}`, value: employee(100 + partition, -5) }, // DLQ validate
  { partition, key: `utf8-${partition}`, value: NON_UTF8 }, // DLQ decode
  { partition, key: `tomb-${partition}`, value: null }, // target (tombstone forwarded)
  { partition, key: `late-${partition}`, value: employee(200 + partition, 41, WIDE_NAME) }, // target
]);
export const GOOD_PER_PARTITION = 3;
export const BAD_PER_PARTITION = 3;
