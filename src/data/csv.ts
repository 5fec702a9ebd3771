import { UserError } from "../errors.js";

/**
 * Parse CSV text per RFC 4180: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may contain commas, line breaks and `""` (one quote). A UTF-8 BOM is dropped; a
 * trailing line break does not make an empty record. Throws a UserError on an unclosed quote or
 * a stray quote inside an unquoted field, naming the line.
 * @example parseCsv('a,b\n1,"x, ""y"""\n') // [["a","b"],["1",'x, "y"']]
 */
export function parseCsv(text: string, what = "CSV"): string[][] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  let line = 1;
  let quotedStart = 0;
  let fieldQuoted = false;
  const endField = () => {
    record.push(field);
    field = "";
    fieldQuoted = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < s.length) {
    const c = s[i];
    if (c === '"' && field === "" && !fieldQuoted) {
      // Quoted field: read to the closing quote.
      fieldQuoted = true;
      quotedStart = line;
      i++;
      for (;;) {
        if (i >= s.length) throw new UserError(`${what}: unclosed quote in the field starting on line ${quotedStart}`);
        const q = s[i];
        if (q === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === "\n") line++;
        field += q;
        i++;
      }
      const next = s[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new UserError(`${what}: unexpected character after a closing quote on line ${line}`);
      }
      continue;
    }
    if (c === ",") {
      endField();
      i++;
    } else if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
      line++;
    } else if (c === '"') {
      throw new UserError(`${what}: a quote inside an unquoted field on line ${line} (quote the whole field and double the quote)`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== "" || fieldQuoted || record.length > 0) endRecord();
  return records;
}

/** CSV with a header row as objects; every value stays a string (CSV has no types). */
export function csvObjects(text: string, what = "CSV"): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, what);
  if (!header) return [];
  return rows
    .filter((r) => !(r.length === 1 && r[0] === ""))
    .map((r, n) => {
      if (r.length !== header.length) {
        throw new UserError(`${what}: record ${n + 1} has ${r.length} fields, the header has ${header.length}`);
      }
      return Object.fromEntries(header.map((h, k) => [h, r[k]]));
    });
}
