-- CreateTable
CREATE TABLE "profile_pictures" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "mime_type" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_pictures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "profile_pictures_user_id_idx" ON "profile_pictures"("user_id");

-- AddForeignKey
ALTER TABLE "profile_pictures" ADD CONSTRAINT "profile_pictures_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written data migration. Until now users.profile_picture held the client's Picture message verbatim,
-- embedded bytes included, and every reader got them. Move recognisable raster images (PNG, JPEG, GIF, WebP by
-- their magic bytes, as the service now checks on upload) into profile_pictures and point the user at them
-- with a relative size-0 path; embedded data of any other type (e.g. SVG) is dropped. External sizes stay.
WITH "embedded" AS (
    SELECT "id" AS "user_id", decode("profile_picture"->'embedded'->>'data', 'base64') AS "data"
    FROM "users"
    WHERE coalesce("profile_picture"->'embedded'->>'data', '') <> ''
), "typed" AS (
    SELECT "user_id", "data", CASE
        WHEN substring("data" FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea THEN 'image/png'
        WHEN substring("data" FROM 1 FOR 3) = '\xffd8ff'::bytea THEN 'image/jpeg'
        WHEN substring("data" FROM 1 FOR 6) IN ('\x474946383761'::bytea, '\x474946383961'::bytea) THEN 'image/gif'
        WHEN substring("data" FROM 1 FOR 4) = '\x52494646'::bytea AND substring("data" FROM 9 FOR 4) = '\x57454250'::bytea THEN 'image/webp'
    END AS "mime_type"
    FROM "embedded"
), "moved" AS (
    INSERT INTO "profile_pictures" ("id", "user_id", "mime_type", "data")
    SELECT gen_random_uuid(), "user_id", "mime_type", "data" FROM "typed" WHERE "mime_type" IS NOT NULL
    RETURNING "id", "user_id"
)
UPDATE "users" SET "profile_picture" = jsonb_build_object('sizes', jsonb_build_object('0', 'profile-pictures/' || "moved"."id"))
FROM "moved" WHERE "users"."id" = "moved"."user_id";

UPDATE "users" SET "profile_picture" = "profile_picture" - 'embedded' WHERE "profile_picture" ? 'embedded';

-- A picture left without sizes is no picture (readers then get the Gravatar fallback).
UPDATE "users" SET "profile_picture" = NULL
WHERE "profile_picture" IS NOT NULL AND coalesce("profile_picture"->'sizes', '{}'::jsonb) = '{}'::jsonb;
