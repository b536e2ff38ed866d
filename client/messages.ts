// The contract's messages, enums and services, so SDK users need no import from generated paths.
export * from "../gen/ttn/lorawan/v3/contact_info_pb.js";
export * from "../gen/ttn/lorawan/v3/email_validation_pb.js";
export * from "../gen/ttn/lorawan/v3/enums_pb.js";
export * from "../gen/ttn/lorawan/v3/error_pb.js";
export * from "../gen/ttn/lorawan/v3/identifiers_pb.js";
export * from "../gen/ttn/lorawan/v3/identityserver_pb.js";
export * from "../gen/ttn/lorawan/v3/notification_service_pb.js";
export * from "../gen/ttn/lorawan/v3/oauth_pb.js";
export * from "../gen/ttn/lorawan/v3/picture_pb.js";
export * from "../gen/ttn/lorawan/v3/rights_pb.js";
export * from "../gen/ttn/lorawan/v3/search_services_pb.js";
export * from "../gen/ttn/lorawan/v3/user_pb.js";
export * from "../gen/ttn/lorawan/v3/user_services_pb.js";
export * from "../gen/tti/lorawan/v3/authentication_provider_pb.js";
export * from "../gen/tti/lorawan/v3/external_user_pb.js";

// Runtime helpers for the messages above (protobuf-es), so apps need no direct protobuf import.
export { create, fromJson, toJson, type MessageInitShape } from "@bufbuild/protobuf";
export { anyUnpack, timestampDate, timestampFromDate, type Any, type Timestamp, type FieldMask } from "@bufbuild/protobuf/wkt";
