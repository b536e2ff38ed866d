// The messages that may travel inside `google.protobuf.Any`: notification data (`Notification.data`) and error
// details. JSON writes an Any as `{"@type": …, …fields}`, which needs the message's schema; binary carries the
// bytes and hides a missing one, so every JSON codec (the server's Connect JSON and HTTP API, the SDK's
// Connect JSON transport) uses this one registry. It imports generated code only, so the SDK and the server
// can both use it.
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import {
  file_google_protobuf_any, file_google_protobuf_duration, file_google_protobuf_empty, file_google_protobuf_field_mask,
  file_google_protobuf_struct, file_google_protobuf_timestamp, file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { file_tti_lorawan_v3_authentication_provider } from "../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { file_tti_lorawan_v3_external_user } from "../gen/tti/lorawan/v3/external_user_pb.js";
import { file_ttn_lorawan_v3_contact_info } from "../gen/ttn/lorawan/v3/contact_info_pb.js";
import { file_ttn_lorawan_v3_email_validation } from "../gen/ttn/lorawan/v3/email_validation_pb.js";
import { file_ttn_lorawan_v3_enums } from "../gen/ttn/lorawan/v3/enums_pb.js";
import { file_ttn_lorawan_v3_error } from "../gen/ttn/lorawan/v3/error_pb.js";
import { file_ttn_lorawan_v3_identifiers } from "../gen/ttn/lorawan/v3/identifiers_pb.js";
import { file_ttn_lorawan_v3_identityserver } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { file_ttn_lorawan_v3_notification_service } from "../gen/ttn/lorawan/v3/notification_service_pb.js";
import { file_ttn_lorawan_v3_oauth } from "../gen/ttn/lorawan/v3/oauth_pb.js";
import { file_ttn_lorawan_v3_picture } from "../gen/ttn/lorawan/v3/picture_pb.js";
import { file_ttn_lorawan_v3_rights } from "../gen/ttn/lorawan/v3/rights_pb.js";
import { file_ttn_lorawan_v3_search_services } from "../gen/ttn/lorawan/v3/search_services_pb.js";
import { file_ttn_lorawan_v3_user } from "../gen/ttn/lorawan/v3/user_pb.js";
import { file_ttn_lorawan_v3_user_services } from "../gen/ttn/lorawan/v3/user_services_pb.js";

/**
 * Every message of our `ttn.lorawan.v3` and `tti.lorawan.v3` files (notification data such as `APIKey`,
 * `CreateUserRequest` and `EntityStateChangedNotification`; `ErrorDetails`), the well-known types trusted
 * services may send as notification data (e.g. `google.protobuf.StringValue`), and `buf.validate.Violations`
 * (validation error details).
 */
export const anyTypes: Registry = createRegistry(
  file_ttn_lorawan_v3_contact_info, file_ttn_lorawan_v3_email_validation, file_ttn_lorawan_v3_enums, file_ttn_lorawan_v3_error, file_ttn_lorawan_v3_identifiers,
  file_ttn_lorawan_v3_identityserver, file_ttn_lorawan_v3_notification_service, file_ttn_lorawan_v3_oauth,
  file_ttn_lorawan_v3_picture, file_ttn_lorawan_v3_rights, file_ttn_lorawan_v3_search_services, file_ttn_lorawan_v3_user,
  file_ttn_lorawan_v3_user_services, file_tti_lorawan_v3_authentication_provider, file_tti_lorawan_v3_external_user,
  file_google_protobuf_any, file_google_protobuf_duration, file_google_protobuf_empty, file_google_protobuf_field_mask,
  file_google_protobuf_struct, file_google_protobuf_timestamp, file_google_protobuf_wrappers,
  ViolationsSchema,
);
