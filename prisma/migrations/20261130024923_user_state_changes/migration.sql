-- CreateTable
CREATE TABLE "user_state_changes" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "state" INTEGER NOT NULL,
    "state_description" TEXT NOT NULL DEFAULT '',
    "changed_by" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_state_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "user_state_changes_user_id_created_at_idx" ON "user_state_changes"("user_id", "created_at");

-- AddForeignKey
ALTER TABLE "user_state_changes" ADD CONSTRAINT "user_state_changes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
