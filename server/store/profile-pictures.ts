// Uploaded profile pictures (table profile_pictures). A user has at most one: each write of the user's picture
// replaces the rows, in the transaction of the user write, so the stored URL and the stored bytes always agree.
import type { PictureUpload } from "../domain/profile-pictures.js";
import type { Db } from "./db.js";
import { isUuid } from "./db.js";

/**
 * Deletes the user's stored pictures and stores `upload`, if any. Call inside the transaction that writes the
 * user's profile_picture column, with the user row locked (users.lockUser) so concurrent writes take turns.
 */
export async function replaceProfilePicture(tx: Db, userInternalId: string, upload?: PictureUpload): Promise<void> {
  await tx.profilePicture.deleteMany({ where: { userId: userInternalId } });
  if (upload) {
    await tx.profilePicture.create({
      data: { id: upload.id, userId: userInternalId, mimeType: upload.mimeType, data: new Uint8Array(upload.data) },
    });
  }
}

/**
 * A picture as served publicly: only while its user is not soft-deleted (upstream soft-deletes the picture with
 * the user, and Restore brings it back). Purge removes it with the user (ON DELETE CASCADE).
 */
export async function findServedPicture(db: Db, id: string): Promise<{ mimeType: string; data: Uint8Array } | null> {
  if (!isUuid(id)) return null;
  return db.profilePicture.findFirst({ where: { id, user: { deletedAt: null } }, select: { mimeType: true, data: true } });
}
