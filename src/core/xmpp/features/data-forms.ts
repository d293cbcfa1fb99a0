/**
 * XEP-0004 data forms: a small model (parse a form, list its fields, set values, build the
 * submission) that room configuration uses and hosts render as text. Pure.
 */
import { UsageError } from "../../errors.js";
import { NS } from "../ns.js";
import { xml, type XmlElement } from "../transport/xml.js";

export interface FormField {
  var: string;
  type: string;
  label?: string;
  values: string[];
  options: { label?: string; value: string }[];
  required?: boolean;
}

export interface DataForm {
  type: string;
  title?: string;
  instructions?: string;
  fields: FormField[];
}

export function parseForm(x: XmlElement | undefined): DataForm | undefined {
  if (!x || x.name !== "x" || x.getNS() !== NS.data) return undefined;
  const form: DataForm = { type: x.attrs.type ?? "form", fields: [] };
  const title = x.getChildText("title");
  if (title) form.title = title;
  const instructions = x.getChildren("instructions").map((i) => i.getText()).join("\n");
  if (instructions) form.instructions = instructions;
  for (const f of x.getChildren("field")) {
    const field: FormField = {
      var: f.attrs.var ?? "",
      type: f.attrs.type ?? "text-single",
      values: f.getChildren("value").map((v) => v.getText()),
      options: f.getChildren("option").map((o) => ({ value: o.getChildText("value") ?? "", ...(o.attrs.label ? { label: o.attrs.label } : {}) })),
    };
    if (f.attrs.label) field.label = f.attrs.label;
    if (f.getChild("required")) field.required = true;
    form.fields.push(field);
  }
  return form;
}

const BOOL_TRUE = new Set(["1", "true", "yes", "on"]);
const BOOL_FALSE = new Set(["0", "false", "no", "off"]);

/** Check and normalise a value typed by a user for `field` (booleans as 1/0, list options). */
export function coerceValues(field: FormField, values: string[]): string[] {
  switch (field.type) {
    case "boolean": {
      const v = (values[0] ?? "").toLowerCase();
      if (BOOL_TRUE.has(v)) return ["1"];
      if (BOOL_FALSE.has(v)) return ["0"];
      throw new UsageError(`${field.var} is a yes/no setting: give 1 or 0`);
    }
    case "list-single":
    case "list-multi": {
      const allowed = field.options.map((o) => o.value);
      for (const v of values) if (allowed.length && !allowed.includes(v)) throw new UsageError(`${field.var}: ${v} is not one of ${allowed.join(", ")}`);
      return field.type === "list-single" ? values.slice(0, 1) : values;
    }
    case "fixed":
      throw new UsageError(`${field.var} cannot be set`);
    case "text-multi":
    case "jid-multi":
      return values;
    default:
      return values.slice(0, 1);
  }
}

/** The submission (type="submit") of `form` with `changes` applied; other fields keep their values. */
export function buildSubmit(form: DataForm, changes: Record<string, string[]>): XmlElement {
  const fields = form.fields
    .filter((f) => f.var && f.type !== "fixed")
    .map((f) => {
      const values = f.var in changes ? coerceValues(f, changes[f.var]!) : f.values;
      return xml("field", { var: f.var, ...(f.type === "hidden" ? { type: "hidden" } : {}) }, values.map((v) => xml("value", {}, v)));
    });
  return xml("x", { xmlns: NS.data, type: "submit" }, fields);
}

/** One line per field, for people: "var = value  (label; options)". */
export function formLines(form: DataForm): string[] {
  const out: string[] = [];
  if (form.title) out.push(form.title);
  for (const f of form.fields) {
    if (!f.var || f.type === "hidden") continue;
    const value = f.type === "boolean" ? (BOOL_TRUE.has((f.values[0] ?? "").toLowerCase()) ? "1" : "0") : f.values.join(", ");
    const opts = f.options.length ? `; one of: ${f.options.map((o) => o.value).join(", ")}` : "";
    out.push(`${f.var} = ${value || "(empty)"}  (${f.label ?? f.type}${f.type === "boolean" ? "; 1 or 0" : ""}${opts})`);
  }
  return out;
}
