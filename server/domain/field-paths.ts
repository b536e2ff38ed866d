// Field-mask paths read from the message descriptors, so a field added to the proto is a valid path at once and
// no list has to be kept in step by hand.
import type { DescMessage } from "@bufbuild/protobuf";

/**
 * Every field-mask path of `desc`: each field by its proto name, and the fields of nested messages under it
 * (`ids.user_id`); not into well-known types, maps or lists. Sorted, the order upstream lists paths in.
 */
export function fieldPaths(desc: DescMessage): string[] {
  const walk = (d: DescMessage, prefix: string): string[] =>
    d.fields.flatMap((f) => {
      const path = prefix + f.name;
      const nested = f.fieldKind === "message" && !f.message.typeName.startsWith("google.protobuf.");
      return nested ? [path, ...walk(f.message, `${path}.`)] : [path];
    });
  return walk(desc, "").sort();
}
