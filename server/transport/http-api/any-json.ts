// protobuf-es writes an Any's `@type` after the fields of the message inside; Go's protojson, and so upstream's
// gateway, writes it first. Readers that choose a decoder by an object's first key (streaming parsers) need that
// order, so the HTTP API moves it to the front in responses that can hold an Any.
import type { DescMessage, JsonValue } from "@bufbuild/protobuf";

const ANY = "google.protobuf.Any";
const holdsAny = new WeakMap<DescMessage, boolean>();

/** Whether a message of this type can carry a `google.protobuf.Any` anywhere inside it. */
export function canHoldAny(message: DescMessage): boolean {
  const known = holdsAny.get(message);
  if (known !== undefined) return known;
  holdsAny.set(message, false); // a recursive type is answered by its other fields
  const found = message.typeName === ANY || message.fields.some((f) => {
    const inner = f.fieldKind === "message" ? f.message : f.fieldKind === "list" || f.fieldKind === "map" ? f.message : undefined;
    return inner !== undefined && canHoldAny(inner);
  });
  holdsAny.set(message, found);
  return found;
}

/** The JSON with `@type` first in every object that has one. */
export function typeFirst(json: JsonValue): JsonValue {
  if (Array.isArray(json)) return json.map(typeFirst);
  if (json === null || typeof json !== "object") return json;
  const out: { [key: string]: JsonValue } = "@type" in json ? { "@type": json["@type"]! } : {};
  for (const [key, value] of Object.entries(json)) if (key !== "@type") out[key] = typeFirst(value);
  return out;
}
