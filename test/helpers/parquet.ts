/**
 * A minimal Parquet writer for tests (no writer is a project dependency): one row group, one
 * PLAIN-encoded, uncompressed data page (v1) per column, all columns REQUIRED. Enough to make
 * files shaped like the MathArena sets (`problem_idx` int64, `problem` string, `answer` int64 or
 * string) that hyparquet reads exactly as it reads pyarrow's output.
 *
 * @example writeParquet({ problem: { type: "string", values: ["1+1?"] }, answer: { type: "int64", values: [2n] } })
 */
export type ParquetColumn =
  | { type: "string"; values: string[] }
  | { type: "int64"; values: bigint[] }
  | { type: "int32"; values: number[] }
  | { type: "double"; values: number[] };

const PHYSICAL = { string: 6, int64: 2, int32: 1, double: 5 } as const;

/** Thrift compact protocol, only what FileMetaData and PageHeader need. */
class Compact {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint | number): void {
    let v = BigInt(n);
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }
  zigzag(n: bigint | number): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }
  field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    this.bytes.push((delta << 4) | type);
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): void {
    this.field(id, 5);
    this.zigzag(v);
  }
  i64(id: number, v: number | bigint): void {
    this.field(id, 6);
    this.zigzag(v);
  }
  str(id: number, s: string): void {
    this.field(id, 8);
    const b = Buffer.from(s);
    this.varint(b.length);
    this.bytes.push(...b);
  }
  struct(id: number, body: () => void): void {
    this.field(id, 12);
    this.inner(body);
  }
  /** A struct body without a field header (list elements). */
  inner(body: () => void): void {
    this.last.push(0);
    body();
    this.bytes.push(0);
    this.last.pop();
  }
  list(id: number, elemType: number, items: (() => void)[]): void {
    this.field(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(items.length);
    }
    for (const item of items) item();
  }
}

function plain(col: ParquetColumn): Buffer {
  const parts: Buffer[] = [];
  for (const value of col.values) {
    if (col.type === "string") {
      const b = Buffer.from(value as string);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, b);
    } else {
      const b = Buffer.alloc(col.type === "int32" ? 4 : 8);
      if (col.type === "int64") b.writeBigInt64LE(value as bigint);
      else if (col.type === "int32") b.writeInt32LE(value as number);
      else b.writeDoubleLE(value as number);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

export function writeParquet(columns: Record<string, ParquetColumn>): Uint8Array {
  const names = Object.keys(columns);
  const numRows = names.length ? columns[names[0]].values.length : 0;
  const chunks: Buffer[] = [Buffer.from("PAR1")];
  let offset = 4;
  const meta: { name: string; col: ParquetColumn; offset: number; size: number }[] = [];
  for (const name of names) {
    const col = columns[name];
    const data = plain(col);
    const header = new Compact();
    header.i32(1, 0); // DATA_PAGE
    header.i32(2, data.length);
    header.i32(3, data.length);
    header.struct(5, () => {
      header.i32(1, col.values.length);
      header.i32(2, 0); // PLAIN
      header.i32(3, 3); // RLE (unused: required column)
      header.i32(4, 3);
    });
    header.bytes.push(0);
    const page = Buffer.concat([Buffer.from(header.bytes), data]);
    meta.push({ name, col, offset, size: page.length });
    chunks.push(page);
    offset += page.length;
  }
  const fm = new Compact();
  fm.i32(1, 1);
  fm.list(2, 12, [
    () => fm.inner(() => {
      fm.str(4, "schema");
      fm.i32(5, names.length);
    }),
    ...meta.map(({ name, col }) => () =>
      fm.inner(() => {
        fm.i32(1, PHYSICAL[col.type]);
        fm.i32(3, 0); // REQUIRED
        fm.str(4, name);
        if (col.type === "string") fm.i32(6, 0); // UTF8
      }),
    ),
  ]);
  fm.i64(3, numRows);
  fm.list(4, 12, [
    () => fm.inner(() => {
      fm.list(1, 12, meta.map((m) => () =>
        fm.inner(() => {
          fm.i64(2, m.offset);
          fm.struct(3, () => {
            fm.i32(1, PHYSICAL[m.col.type]);
            fm.list(2, 5, [() => fm.zigzag(0)]);
            fm.list(3, 8, [() => { const b = Buffer.from(m.name); fm.varint(b.length); fm.bytes.push(...b); }]);
            fm.i32(4, 0); // UNCOMPRESSED
            fm.i64(5, m.col.values.length);
            fm.i64(6, m.size);
            fm.i64(7, m.size);
            fm.i64(9, m.offset);
          });
        }),
      ));
      fm.i64(2, meta.reduce((s, m) => s + m.size, 0));
      fm.i64(3, numRows);
    }),
  ]);
  fm.bytes.push(0);
  const footer = Buffer.from(fm.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  chunks.push(footer, len, Buffer.from("PAR1"));
  return new Uint8Array(Buffer.concat(chunks));
}
