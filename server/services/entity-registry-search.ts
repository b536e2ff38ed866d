// ttn.lorawan.v3.EntityRegistrySearch: SearchUsers, for admins only.
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { EntityRegistrySearch, type SearchUsersRequest } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { UsersSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { isAdminWith } from "../auth/user-rights.js";
import * as errors from "../domain/error-catalog.js";
import { Right } from "../domain/rights.js";
import { userReadMask } from "../domain/user-paths.js";
import { page } from "../store/db.js";
import { searchUsers } from "../store/user-search.js";
import { callerOf, setTotalCount, type ServiceDeps } from "./context.js";
import { toUserMessage, userMessageOptions, userRowFields } from "./user-messages.js";

/** The fields a filter looks at come back even when the mask omits them. */
function filteredPaths(req: SearchUsersRequest): string[] {
  const paths: string[] = [];
  if (req.idContains) paths.push("ids");
  if (req.nameContains) paths.push("name");
  if (req.descriptionContains) paths.push("description");
  if (Object.keys(req.attributesContain).length) paths.push("attributes");
  if (req.state.length) paths.push("state");
  return paths;
}

export function entityRegistrySearch(deps: ServiceDeps): ServiceImpl<typeof EntityRegistrySearch> {
  const { db, config } = deps;
  const messageOptions = userMessageOptions(config);
  return {
    async searchUsers(req, ctx) {
      // A bad credential fails authentication; anyone but an admin holding USER_INFO is refused.
      const caller = await callerOf(deps, ctx);
      if (!isAdminWith(caller, Right.USER_INFO)) throw errors.searchForbidden();
      const paths = userReadMask([...(req.fieldMask?.paths ?? []), ...filteredPaths(req)]);
      const { users, total } = await searchUsers(db, {
        query: req.query,
        idContains: req.idContains,
        nameContains: req.nameContains,
        descriptionContains: req.descriptionContains,
        attributesContain: req.attributesContain,
        states: req.state,
        deleted: req.deleted,
        order: req.order,
        ...page(req.limit, req.page, config.defaultPageLimit), // any limit up to 1000 (upstream capped at 100)
      }, { fields: userRowFields(paths) });
      setTotalCount(ctx, total);
      return create(UsersSchema, { users: users.map((r) => toUserMessage(r, paths, messageOptions)) });
    },
  };
}
