-- AlterTable
ALTER TABLE "users" ADD COLUMN     "password_unusable" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "sso_logins" (
    "id" UUID NOT NULL,
    "state_hash" TEXT NOT NULL,
    "binding_hash" TEXT NOT NULL,
    "provider_id" UUID NOT NULL,
    "nonce" TEXT NOT NULL,
    "code_verifier" TEXT NOT NULL,
    "next" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sso_logins_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sso_pending_links" (
    "id" UUID NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "provider_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sso_pending_links_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sso_logins_state_hash_key" ON "sso_logins"("state_hash");

-- CreateIndex
CREATE INDEX "sso_logins_expires_at_idx" ON "sso_logins"("expires_at");

-- CreateIndex
CREATE INDEX "sso_pending_links_expires_at_idx" ON "sso_pending_links"("expires_at");

-- AddForeignKey
ALTER TABLE "sso_logins" ADD CONSTRAINT "sso_logins_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "authentication_providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_pending_links" ADD CONSTRAINT "sso_pending_links_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "authentication_providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_pending_links" ADD CONSTRAINT "sso_pending_links_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
