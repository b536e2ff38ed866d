// ttn.lorawan.v3.Is.GetConfiguration: the settings clients adapt to (upstream's CLI asks before creating users,
// consoles show the password rules up front), as this server is configured. Public: no credential is read.
// Settings this server has no notion of stay unset, as upstream leaves what its config does not fill.
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { GetIsConfigurationResponseSchema, Is, IsConfigurationSchema, type IsConfiguration } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import type { Config } from "../config.js";
import type { ServiceDeps } from "./context.js";

function isConfiguration(config: Config): IsConfiguration {
  const { registration, passwordRequirements: password, profilePicture } = config;
  return create(IsConfigurationSchema, {
    userRegistration: {
      enabled: registration.enabled,
      invitation: { required: registration.invitationRequired, tokenTtl: durationFromMs(registration.invitationTokenTtlMs) },
      contactInfoValidation: {
        required: config.emailValidation.required,
        tokenTtl: durationFromMs(config.emailValidation.tokenTtlMs),
        retryInterval: durationFromMs(config.emailValidation.retryIntervalMs),
      },
      adminApproval: { required: registration.adminApprovalRequired },
      passwordRequirements: {
        minLength: password.minLength,
        maxLength: password.maxLength,
        minUppercase: password.minUppercase,
        minDigits: password.minDigits,
        minSpecial: password.minSpecial,
      },
    },
    profilePicture: { disableUpload: profilePicture.disableUpload, useGravatar: profilePicture.useGravatar },
    // Upstream applies the profile-picture upload switch to end-device pictures too.
    endDevicePicture: { disableUpload: profilePicture.disableUpload },
    // Nothing here restricts what users may create in the rest of the stack: upstream's defaults.
    userRights: { createApplications: true, createClients: true, createGateways: true, createOrganizations: true },
    adminRights: { all: config.adminRightsAll },
  });
}

export function identityServer(deps: ServiceDeps): ServiceImpl<typeof Is> {
  // The configuration is read once at start-up, so the answer never changes while the process runs.
  const response = create(GetIsConfigurationResponseSchema, { configuration: isConfiguration(deps.config) });
  return {
    getConfiguration() {
      return response;
    },
  };
}
