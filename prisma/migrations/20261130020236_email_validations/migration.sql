-- CreateTable
CREATE TABLE "email_validations" (
    "id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "email_address" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "email_validations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "email_validations_reference_key" ON "email_validations"("reference");

-- CreateIndex
CREATE INDEX "email_validations_user_id_used_idx" ON "email_validations"("user_id", "used");

-- AddForeignKey
ALTER TABLE "email_validations" ADD CONSTRAINT "email_validations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
